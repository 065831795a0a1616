"""Output-level analysis: distance matrices, misclassification cost, agreement and confusion on hand cases."""

from __future__ import annotations

import numpy as np
import pytest

from shrinkflow.analysis.output import (
    class_distance_matrix,
    confusion_matrix,
    misclassification_cost,
    output_analysis,
)


def test_zero_one_distance_is_one_off_the_diagonal():
    d = class_distance_matrix("zero_one", 3)
    np.testing.assert_array_equal(d, [[0, 1, 1], [1, 0, 1], [1, 1, 0]])


def test_two_level_cifar10_charges_animal_vehicle_confusions_more():
    d = class_distance_matrix("two_level", 10)
    airplane, automobile, bird, cat, ship, truck = 0, 1, 2, 3, 8, 9
    assert d[airplane, automobile] == 1 and d[ship, truck] == 1 and d[bird, cat] == 1
    assert d[airplane, bird] == 2 and d[cat, truck] == 2 and d[truck, cat] == 2
    assert np.all(np.diag(d) == 0)
    custom = class_distance_matrix("two_level", 10, within=0.5, across=3.0)
    assert custom[bird, cat] == 0.5 and custom[cat, ship] == 3.0 and custom[cat, cat] == 0


def test_two_level_with_explicit_groups_and_its_errors():
    d = class_distance_matrix("two_level", 4, groups=[0, 0, 1, 1], within=1, across=5)
    np.testing.assert_array_equal(d, [[0, 1, 5, 5], [1, 0, 5, 5], [5, 5, 0, 1], [5, 5, 1, 0]])
    with pytest.raises(ValueError, match="needs `groups`"):
        class_distance_matrix("two_level", 4)
    with pytest.raises(ValueError, match="allowed: \\['zero_one', 'two_level'\\]"):
        class_distance_matrix("hamming", 4)


def test_misclassification_cost_of_a_known_confusion():
    pred = np.array([0, 1, 2, 3, 0])
    ref = np.array([0, 0, 2, 2, 3])
    d = class_distance_matrix("two_level", 4, groups=[0, 0, 1, 1], within=1, across=2)
    # disagreements: (1,0) within → 1, (3,2) within → 1, (0,3) across → 2
    assert misclassification_cost(pred, ref, d) == pytest.approx(4 / 5, abs=1e-15)
    assert misclassification_cost(pred, ref, class_distance_matrix("zero_one", 4)) == pytest.approx(3 / 5)
    # μ puts all mass on the last image
    assert misclassification_cost(pred, ref, d, weights=np.array([0, 0, 0, 0, 3.0])) == 2.0


def test_output_analysis_is_exact_on_hand_built_logits():
    logits = np.array([[3, 1, 0], [0, 2, 1], [0, 1, 2], [5, 0, 0]], dtype=np.float32)  # predicts 0 1 2 0
    reference = np.array([[1, 0, 0], [0, 1, 0], [0, 3, 1], [0, 0, 1]], dtype=np.float32)  # predicts 0 1 1 2
    labels = np.array([0, 1, 1, 0])
    out = output_analysis(logits, reference, labels)
    assert out["agreement"] == 0.5
    assert out["misclassification_cost"] == 0.5
    assert out["accuracy"] == 0.75 and out["reference_accuracy"] == 0.75
    assert out["confusion_matrix"] == [[2, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert out["per_class_accuracy"] == [1.0, 0.5, None]
    assert out["reference_per_class_accuracy"] == [0.5, 1.0, None]
    assert out["prediction_matrix"] == [[1, 0, 0], [0, 1, 1], [1, 0, 0]]
    assert out["label_cost"] == 0.25 and out["reference_label_cost"] == 0.25
    np.testing.assert_array_equal(out["arrays"]["agree"], [True, True, False, False])


def test_confusion_matrix_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="0..2"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 3)


def test_output_analysis_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="rows but 2 were expected"):
        output_analysis(np.zeros((2, 3)), np.zeros((3, 3)), np.zeros(2))
