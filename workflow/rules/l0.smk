# The l0 block (Barth & von Petersenn): classifiers trained from scratch with each method's penalty, pruned
# (TAMADE / RGP / magnitude) and fine-tuned with the mask fixed, stored as a sparse payload; every sparse
# model is analysed against its dense twin (dense/0, same seed); teacher-student students per data size.


rule train_l0:
    input:
        npz=raw_artifact("{dataset}", "npz"),
        sidecar=raw_artifact("{dataset}", "json"),
    output:
        payload=layout.pattern("l0", file=MODEL_PAYLOAD),
        metrics=layout.pattern("l0", file="metrics.json"),
        history=layout.pattern("l0", file="history.csv"),
    log:
        layout.log("train_l0", "l0"),
    benchmark:
        layout.benchmark("train_l0", "l0")
    conda:
        "../../envs/torch.yaml"
    threads: config["threads"]["train"]
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        train=lambda wildcards: l0_grid.train_settings(config),
        settings=lambda wildcards: l0_grid.settings(config),
    script:
        "../../scripts/train_l0.py"


rule analyze_l0:
    input:
        unpack(l0_analysis_inputs),
    output:
        json=[
            layout.pattern("l0_analysis", analysis=name, ext="json")
            for name in config["analysis"]["enabled"]
        ],
        npz=[
            layout.pattern("l0_analysis", analysis=name, ext="npz")
            for name in config["analysis"]["enabled"]
        ],
    log:
        layout.log("analyze_l0", "l0"),
    benchmark:
        layout.benchmark("analyze_l0", "l0")
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=30,
    params:
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
    script:
        "../../scripts/analyze_l0.py"


rule train_teacher_student:
    output:
        payload=layout.pattern("teacher_student", file=MODEL_PAYLOAD),
        metrics=layout.pattern("teacher_student", file="metrics.json"),
        history=layout.pattern("teacher_student", file="history.csv"),
    log:
        layout.log("train_teacher_student", "teacher_student"),
    benchmark:
        layout.benchmark("train_teacher_student", "teacher_student")
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        regression=lambda wildcards: l0_grid.regression_settings(config),
        settings=lambda wildcards: l0_grid.settings(config),
    script:
        "../../scripts/train_teacher_student.py"
