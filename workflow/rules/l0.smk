# The l0 block (Barth & von Petersenn): classifiers trained from scratch with each method's penalty, pruned
# (TAMADE / RGP / magnitude) and fine-tuned with the mask fixed, stored as a sparse payload; every sparse
# model is analysed against its dense twin (dense/0, same seed); teacher-student students per data size.


rule train_l0:
    input:
        npz=raw_artifact("{dataset}", "npz"),
        sidecar=raw_artifact("{dataset}", "json"),
    output:
        payload=seeded(layout.pattern("l0", file=MODEL_PAYLOAD), L0_SEEDS),
        metrics=seeded(layout.pattern("l0", file="metrics.json"), L0_SEEDS),
        history=seeded(layout.pattern("l0", file="history.csv"), L0_SEEDS),
    log:
        layout.log("train_l0", "l0", seed=SEED_JOB),
    benchmark:
        layout.benchmark("train_l0", "l0", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(get_train_runtime, L0_SEEDS),
        gpu=get_gpu,
    params:
        seeds=job_seeds(L0_SEEDS),
        train=lambda wildcards: l0_grid.train_settings(config),
        settings=lambda wildcards: l0_grid.settings(config),
    script:
        "../../scripts/train_l0.py"


rule analyze_l0:
    input:
        unpack(per_seed(l0_analysis_inputs, L0_SEEDS)),
    output:
        json=seeded(
            [
                layout.pattern("l0_analysis", analysis=name, ext="json")
                for name in config["analysis"]["enabled"]
            ],
            L0_SEEDS,
        ),
        npz=seeded(
            [
                layout.pattern("l0_analysis", analysis=name, ext="npz")
                for name in config["analysis"]["enabled"]
            ],
            L0_SEEDS,
        ),
    log:
        layout.log("analyze_l0", "l0", seed=SEED_JOB),
    benchmark:
        layout.benchmark("analyze_l0", "l0", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(30, L0_SEEDS),
    params:
        seeds=job_seeds(L0_SEEDS),
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
    script:
        "../../scripts/analyze_l0.py"


rule train_teacher_student:
    output:
        payload=seeded(layout.pattern("teacher_student", file=MODEL_PAYLOAD), TS_SEEDS),
        metrics=seeded(layout.pattern("teacher_student", file="metrics.json"), TS_SEEDS),
        history=seeded(layout.pattern("teacher_student", file="history.csv"), TS_SEEDS),
    log:
        layout.log("train_teacher_student", "teacher_student", seed=SEED_JOB),
    benchmark:
        layout.benchmark("train_teacher_student", "teacher_student", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=grouped_runtime(30, TS_SEEDS),
    params:
        seeds=job_seeds(TS_SEEDS),
        regression=lambda wildcards: l0_grid.regression_settings(config),
        settings=lambda wildcards: l0_grid.settings(config),
    script:
        "../../scripts/train_teacher_student.py"
