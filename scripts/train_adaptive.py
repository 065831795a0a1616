"""Rule train_adaptive: AdaptCompression on a dct artifact -> results/runs/{dataset}/adaptive/{preset}/...

Same outputs as rule train; history.csv gains the per-epoch fraction of samples at each level, the threshold
and the bytes the assignment needs; metrics.json reports as ``stored_bytes`` / ``bits_per_sample`` what the
final assignment would keep (only each sample's assigned coefficients), and the stored artifact's size
under ``stored_bytes_artifact``. One job trains each seed it is given (every seed when seeds are grouped).
"""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

from shrinkflow.adaptive import AdaptiveConfig, train_adaptive
from shrinkflow.compress import load_artifact
from shrinkflow.runs import save_run
from shrinkflow.training import TrainConfig

smk = snakemake
wc, params = smk.wildcards, smk.params

view = params.adaptive.get("view", "coefficients")
# pixels: the stored level's images as the dct artifact decodes them (as every pixel-view run sees them)
sidecar, data, load_seconds = load_artifact(smk.input.npz, smk.input.sidecar, view)
x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))

adaptive = AdaptiveConfig(
    **{**params.adaptive, "levels": tuple(params.adaptive["levels"]), "bits": sidecar["params"]["bits"]}
)
log.info("preset %s: %s; stored block %s", wc.preset, adaptive, x_train.shape[1:])
config = TrainConfig(**params.train, threads=smk.threads)


def work(seed, _, output):
    result = train_adaptive(
        wc.model,
        x_train,
        y_train,
        x_test,
        y_test,
        sidecar["num_classes"],
        config,
        adaptive,
        seed=seed,
        log=log,
        stored_k=int(sidecar["level_value"]),
    )
    n_train = x_train.shape[0]
    kept = result.metrics["final_assigned_stored_bytes"]
    metrics = {
        **result.metrics,
        "dataset": wc.dataset,
        "method": "adaptive",
        "level": wc.preset,
        "view": view,
        "load_seconds": load_seconds,
        "stored_bytes": kept,
        "bits_per_sample": kept * 8 / n_train,
        "stored_bytes_scope": "training split, final assignment, coefficients only",
        "stored_bytes_artifact": sidecar["stored_bytes"],
        "bits_per_sample_artifact": sidecar["bits_per_sample"],
    }
    save_run(result, metrics, output["model"], output["history"], output["metrics"])
    log.info("seed %d: test accuracy %.4f, final assignment %.0f bytes", seed, metrics["test_accuracy"], kept)


for_each_seed(smk, work)

finish()
