# The MLP study (course project "Model Compression"): capacity runs come from the train rule (MLP models on
# identity data); MCNC runs and distillation students are trained here, and compared with the teacher.


rule train_mcnc:
    input:
        unpack(per_seed(student_inputs, MLP_SEEDS)),
    output:
        model=seeded(layout.pattern("students", file="model.pt"), MLP_SEEDS),
        payload=seeded(layout.pattern("students", file=MODEL_PAYLOAD), MLP_SEEDS),
        metrics=seeded(layout.pattern("students", file="metrics.json"), MLP_SEEDS),
        history=seeded(layout.pattern("students", file="history.csv"), MLP_SEEDS),
    log:
        layout.log("train_mcnc", "students", seed=SEED_JOB),
    benchmark:
        layout.benchmark("train_mcnc", "students", seed=SEED_JOB)
    wildcard_constraints:
        rate=r"d\d+_k\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(get_train_runtime, MLP_SEEDS),
        gpu=get_gpu,
    params:
        seeds=job_seeds(MLP_SEEDS),
        train=lambda wildcards: mlp_study.train_settings(config, mcnc=True),
        mcnc=config["mlp_study"]["mcnc"]["settings"],
        distill=config["mlp_study"]["distill"],
    script:
        "../../scripts/train_student.py"


rule train_student:
    input:
        unpack(per_seed(student_inputs, MLP_SEEDS)),
    output:
        model=seeded(layout.pattern("students", file="model.pt"), MLP_SEEDS),
        metrics=seeded(layout.pattern("students", file="metrics.json"), MLP_SEEDS),
        history=seeded(layout.pattern("students", file="history.csv"), MLP_SEEDS),
    log:
        layout.log("train_student", "students", seed=SEED_JOB),
    benchmark:
        layout.benchmark("train_student", "students", seed=SEED_JOB)
    wildcard_constraints:
        rate="dense",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(get_train_runtime, MLP_SEEDS),
        gpu=get_gpu,
    params:
        seeds=job_seeds(MLP_SEEDS),
        train=lambda wildcards: mlp_study.train_settings(config, mcnc=False),
        mcnc={},
        distill=config["mlp_study"]["distill"],
    script:
        "../../scripts/train_student.py"


# Students against their teacher (the capacity model chosen from results/tables/mlp_capacity.csv): every
# enabled analysis in one job, under results/analysis/<run>/{rate}/{training}/.
rule analyze_student:
    input:
        unpack(per_seed(student_analysis_inputs, MLP_SEEDS)),
    output:
        json=seeded(
            [
                layout.pattern("student_analysis", analysis=name, ext="json")
                for name in config["analysis"]["enabled"]
            ],
            MLP_SEEDS,
        ),
        npz=seeded(
            [
                layout.pattern("student_analysis", analysis=name, ext="npz")
                for name in config["analysis"]["enabled"]
            ],
            MLP_SEEDS,
        ),
    log:
        layout.log("analyze_student", "students", seed=SEED_JOB),
    benchmark:
        layout.benchmark("analyze_student", "students", seed=SEED_JOB)
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=grouped_runtime(30, MLP_SEEDS),
    params:
        seeds=job_seeds(MLP_SEEDS),
        analyses=config["analysis"]["enabled"],
        settings={
            name: config["analysis"][name] for name in config["analysis"]["enabled"]
        },
    script:
        "../../scripts/analyze_student.py"
