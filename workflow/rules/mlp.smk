# The MLP study (course project "Model Compression"): capacity runs come from the train rule (MLP models on
# identity data); MCNC runs and distillation students are trained here, and compared with the teacher.


rule train_mcnc:
    input:
        unpack(student_inputs),
    output:
        model=layout.pattern("students", file="model.pt"),
        payload=layout.pattern("students", file=MODEL_PAYLOAD),
        metrics=layout.pattern("students", file="metrics.json"),
        history=layout.pattern("students", file="history.csv"),
    log:
        layout.log("train_mcnc", "students"),
    benchmark:
        layout.benchmark("train_mcnc", "students")
    wildcard_constraints:
        rate=r"d\d+_k\d+",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        train=lambda wildcards: mlp_study.train_settings(config, mcnc=True),
        mcnc=config["mlp_study"]["mcnc"]["settings"],
        distill=config["mlp_study"]["distill"],
    script:
        "../../scripts/train_student.py"


rule train_student:
    input:
        unpack(student_inputs),
    output:
        model=layout.pattern("students", file="model.pt"),
        metrics=layout.pattern("students", file="metrics.json"),
        history=layout.pattern("students", file="history.csv"),
    log:
        layout.log("train_student", "students"),
    benchmark:
        layout.benchmark("train_student", "students")
    wildcard_constraints:
        rate="dense",
    conda:
        "../../envs/torch.yaml"
    threads: 1
    resources:
        mem_mb=get_mem_mb,
        runtime=get_train_runtime,
        gpu=get_gpu,
    params:
        train=lambda wildcards: mlp_study.train_settings(config, mcnc=False),
        mcnc={},
        distill=config["mlp_study"]["distill"],
    script:
        "../../scripts/train_student.py"


# Students against their teacher (the capacity model chosen from results/tables/mlp_capacity.csv): every
# enabled analysis in one job, under results/analysis/<run>/{rate}/{training}/.
rule analyze_student:
    input:
        unpack(student_analysis_inputs),
    output:
        json=[
            layout.pattern("student_analysis", analysis=name, ext="json")
            for name in config["analysis"]["enabled"]
        ],
        npz=[
            layout.pattern("student_analysis", analysis=name, ext="npz")
            for name in config["analysis"]["enabled"]
        ],
    log:
        layout.log("analyze_student", "students"),
    benchmark:
        layout.benchmark("analyze_student", "students")
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
        "../../scripts/analyze_student.py"
