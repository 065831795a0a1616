"""Rule train: a compressed artifact -> results/runs/.../seed{seed}/{model.pt, metrics.json, history.csv}, for
each seed of the job (every seed of the run when seeds are grouped; the artifact is loaded once)."""

from _script_setup import finish, for_each_seed, setup

log = setup(snakemake)

from shrinkflow.compress import load_artifact, view_offset
from shrinkflow.runs import save_run
from shrinkflow.training import TrainConfig, train

smk = snakemake
wc, params = smk.wildcards, smk.params

sidecar, data, load_seconds = load_artifact(smk.input.npz, smk.input.sidecar, params.view)
x_train, y_train, x_test, y_test = (data[k] for k in ("x_train", "y_train", "x_test", "y_test"))
log.info("loaded %s view %s: train %s, test %s", wc.method, params.view, x_train.shape, x_test.shape)

config = TrainConfig(**params.train, threads=smk.threads)
center = config.input_center
offset = None if center is None else view_offset(sidecar, params.view, center, x_train.shape[1:])


def work(seed, _, output):
    result = train(
        wc.model, x_train, y_train, x_test, y_test, sidecar["num_classes"], config, seed=seed, log=log,
        input_offset=offset,
    )
    metrics = {
        **result.metrics,
        "dataset": wc.dataset,
        "method": wc.method,
        "level": wc.level,
        "view": params.view,
        "load_seconds": load_seconds,
        "stored_bytes": sidecar["stored_bytes"],
        "bits_per_sample": sidecar["bits_per_sample"],
    }
    save_run(result, metrics, output["model"], output["history"], output["metrics"])
    log.info("seed %d: test accuracy %.4f", seed, metrics["test_accuracy"])


for_each_seed(smk, work)

finish()
