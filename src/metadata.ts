/* eslint-disable */
export default async () => {
    const t = {
        ["./modules/files/files.dto"]: await import("./modules/files/files.dto"),
        ["./modules/fine-tuning/fine-tuning.dto"]: await import("./modules/fine-tuning/fine-tuning.dto"),
        ["./modules/inference/dto/common.dto"]: await import("./modules/inference/dto/common.dto"),
        ["./modules/inference/dto/classify.dto"]: await import("./modules/inference/dto/classify.dto"),
        ["./modules/inference/dto/embeddings.dto"]: await import("./modules/inference/dto/embeddings.dto"),
        ["./modules/inference/dto/fill-mask.dto"]: await import("./modules/inference/dto/fill-mask.dto"),
        ["./modules/inference/dto/ner.dto"]: await import("./modules/inference/dto/ner.dto"),
        ["./modules/inference/dto/qa.dto"]: await import("./modules/inference/dto/qa.dto"),
        ["./modules/inference/dto/zero-shot.dto"]: await import("./modules/inference/dto/zero-shot.dto"),
        ["./modules/kserve/kserve.dto"]: await import("./modules/kserve/kserve.dto"),
        ["./modules/models/models.dto"]: await import("./modules/models/models.dto"),
        ["./http/error-body.dto"]: await import("./http/error-body.dto"),
        ["./modules/health/health.dto"]: await import("./modules/health/health.dto"),
        ["./modules/info/info.dto"]: await import("./modules/info/info.dto"),
        ["./metrics/metrics.dto"]: await import("./metrics/metrics.dto"),
        ["./modules/auth/auth.dto"]: await import("./modules/auth/auth.dto")
    };
    return {
        "@nestjs/swagger": {
            "models": [
                [import("./modules/files/files.dto"), {
                        "FileDetailsDto": { task: { required: true, description: "The task the file was validated for.", enum: ["classification", "ner", "qa", "text"] }, format: { required: true, type: () => String, description: "Detected format." }, stats: { required: true, type: "object", additionalProperties: true, description: "rows (documents, for text); characters (text); label_counts (classification labels or NER tags); token_lengths {count, mean, p50, p90, p99, max, histogram {edges, counts}} when a model was named." } },
                        "FileObjectDto": { id: { required: true, type: () => String, example: "file-AbC123" }, object: { required: true, type: () => String }, bytes: { required: true, type: () => Number }, created_at: { required: true, type: () => Number, description: "Unix seconds." }, filename: { required: true, type: () => String }, purpose: { required: true, type: () => String }, status: { required: true, type: () => String }, berth: { required: true, type: () => t["./modules/files/files.dto"].FileDetailsDto } },
                        "FileListDto": { object: { required: true, type: () => String }, data: { required: true, type: () => [t["./modules/files/files.dto"].FileObjectDto] }, has_more: { required: true, type: () => Boolean }, first_id: { required: false, type: () => String, nullable: true }, last_id: { required: false, type: () => String, nullable: true } },
                        "FileDeletedDto": { id: { required: true, type: () => String }, object: { required: true, type: () => String }, deleted: { required: true, type: () => Boolean } },
                        "ListFilesQueryDto": { limit: { required: false, type: () => Number, description: "1\u201310000, default 10000" }, after: { required: false, type: () => String, description: "Id of the last file of the previous page" }, purpose: { required: false, type: () => String } },
                        "TokenLengthsQueryDto": { model: { required: true, type: () => String, description: "A served model whose tokenizer measures the rows (its active version's)." } },
                        "TokenLengthHistogramDto": { edges: { required: true, type: () => [Number], description: "Bin edges: bin i holds the lengths in [edges[i], edges[i+1])." }, counts: { required: true, type: () => [Number], description: "Rows per bin." } },
                        "TokenLengthsDto": { count: { required: true, type: () => Number }, mean: { required: true, type: () => Number }, p50: { required: true, type: () => Number }, p90: { required: true, type: () => Number }, p99: { required: true, type: () => Number }, max: { required: true, type: () => Number }, histogram: { required: true, type: () => t["./modules/files/files.dto"].TokenLengthHistogramDto } },
                        "FileTokenLengthsDto": { file: { required: true, type: () => String }, model: { required: true, type: () => String }, token_lengths: { required: true, type: () => t["./modules/files/files.dto"].TokenLengthsDto } }
                    }],
                [import("./modules/fine-tuning/fine-tuning.dto"), {
                        "CreateJobDto": { model: { required: true, type: () => String, description: "The base model (a served, fine-tunable model)." }, training_file: { required: true, type: () => String, description: "Id of an uploaded file (purpose fine-tune)." }, validation_file: { required: false, type: () => String, nullable: true, description: "Id of an uploaded validation file; without one a seeded share of the training rows is held out (10%)." }, hyperparameters: { required: false, type: "object", additionalProperties: true, description: "Legacy OpenAI placement of the hyperparameters: n_epochs (or epochs, default 3), batch_size (\"auto\" or an integer), learning_rate_multiplier (\u00D7 5e-5; \"auto\" runs a learning-rate sweep) or learning_rate, patience (early stopping, in epochs), warmup_ratio, weight_decay, max_seq_length, validation_split, lora_r, lora_alpha, lora_dropout, lora_targets, adapter_reduction, prompt_tokens." }, method: { required: false, type: "object", additionalProperties: true, description: "{type: full|lora|adapter|head|prompt|distill (OpenAI's \"supervised\" means full), <type>: {hyperparameters: {\u2026}}}. n_epochs (or epochs, default 3), batch_size (\"auto\" or an integer), learning_rate_multiplier (\u00D7 5e-5; \"auto\" runs a learning-rate sweep: short trials, the best on validation wins) or learning_rate, patience (early stopping, in epochs), warmup_ratio, weight_decay, max_seq_length, validation_split, lora_r, lora_alpha, lora_dropout, lora_targets, adapter_reduction, prompt_tokens. distill: {teacher: \"<model>\", transfer_file (optional: the id of an uploaded plain-text file the teacher labels for the student; classification and NER), hyperparameters: {student_layers (default half the model's, alternate layers), temperature (2), alpha (0.5), \u2026}}: the model cut to student_layers learns \u03B1\u00B7T\u00B2\u00B7KL(teacher \u2016 student) + (1 \u2212 \u03B1)\u00B7CE(labels), transfer rows from the soft term alone.", example: { "type": "distill", "distill": { "teacher": "berth-mini-sentiment", "hyperparameters": { "n_epochs": 3, "student_layers": 2, "temperature": 2, "alpha": 0.5 } } } }, suffix: { required: false, type: () => String, description: "Names the output model <base>-ft-<suffix>; without it the result is the next version of the base model." }, seed: { required: false, type: () => Number, description: "Seed for shuffling, dropout and the held-out split (default 42)." }, metadata: { required: false, type: "object", additionalProperties: { type: "string" }, description: "Up to 16 string pairs, returned as given." }, auto_activate: { required: false, type: () => Boolean, description: "Activate the new version when it finishes, if it loads, answers golden inputs sanely and scores at least as well as the active version." }, integrations: { required: false, type: () => [Object], nullable: true, description: "Accepted for compatibility; must be empty." } },
                        "JobErrorDto": { code: { required: true, type: () => String }, message: { required: true, type: () => String }, param: { required: true, type: () => String, nullable: true } },
                        "JobObjectDto": { id: { required: true, type: () => String, example: "ftjob-AbC123" }, object: { required: true, type: () => String }, created_at: { required: true, type: () => Number, description: "Unix seconds." }, finished_at: { required: true, type: () => Number, nullable: true }, model: { required: true, type: () => String }, fine_tuned_model: { required: true, type: () => String, nullable: true, description: "The model that serves the result (with berth.version)." }, organization_id: { required: true, type: () => String }, status: { required: true, enum: ["validating_files", "queued", "running", "succeeded", "failed", "cancelled"] }, training_file: { required: true, type: () => String }, validation_file: { required: true, type: () => String, nullable: true }, hyperparameters: { required: true, type: "object", additionalProperties: true }, method: { required: true, type: "object", additionalProperties: true }, trained_tokens: { required: true, type: () => Number, nullable: true }, error: { required: true, type: () => t["./modules/fine-tuning/fine-tuning.dto"].JobErrorDto, nullable: true }, result_files: { required: true, type: () => [String] }, seed: { required: true, type: () => Number }, suffix: { required: true, type: () => String, nullable: true }, metadata: { required: true, type: "object", additionalProperties: { type: "string" }, nullable: true }, estimated_finish: { required: true, type: () => Number, nullable: true }, integrations: { required: true, type: () => [Object], nullable: true }, berth: { required: true, type: "object", additionalProperties: true, description: "task, auto_activate, version, progress, result (selected metrics, activation decision)." } },
                        "JobListDto": { object: { required: true, type: () => String }, data: { required: true, type: () => [t["./modules/fine-tuning/fine-tuning.dto"].JobObjectDto] }, has_more: { required: true, type: () => Boolean } },
                        "JobEventDto": { id: { required: true, type: () => String }, object: { required: true, type: () => String }, created_at: { required: true, type: () => Number }, level: { required: true, enum: ["info", "warn", "error"] }, message: { required: true, type: () => String }, type: { required: true, enum: ["message", "metrics"] }, data: { required: true, type: "object", additionalProperties: true, nullable: true } },
                        "JobEventListDto": { object: { required: true, type: () => String }, data: { required: true, type: () => [t["./modules/fine-tuning/fine-tuning.dto"].JobEventDto] }, has_more: { required: true, type: () => Boolean } },
                        "JobCheckpointDto": { id: { required: true, type: () => String }, object: { required: true, type: () => String }, created_at: { required: true, type: () => Number }, fine_tuned_model_checkpoint: { required: true, type: () => String, nullable: true, description: "The model version holding this checkpoint (only the selected one is kept)." }, fine_tuning_job_id: { required: true, type: () => String }, metrics: { required: true, type: "object", additionalProperties: true }, step_number: { required: true, type: () => Number } },
                        "JobCheckpointListDto": { object: { required: true, type: () => String }, data: { required: true, type: () => [t["./modules/fine-tuning/fine-tuning.dto"].JobCheckpointDto] }, has_more: { required: true, type: () => Boolean }, first_id: { required: false, type: () => String, nullable: true }, last_id: { required: false, type: () => String, nullable: true } },
                        "ListJobsQueryDto": { limit: { required: false, type: () => Number, description: "1\u2013100, default 20" }, after: { required: false, type: () => String, description: "Id of the last job of the previous page" } },
                        "ListEventsQueryDto": { limit: { required: false, type: () => Number, description: "1\u20131000, default 20" }, after: { required: false, type: () => String, description: "Id of the last event of the previous page" }, stream: { required: false, type: () => Boolean } },
                        "ListCheckpointsQueryDto": { limit: { required: false, type: () => Number, description: "1\u2013100, default 10" }, after: { required: false, type: () => String } }
                    }],
                [import("./modules/inference/dto/common.dto"), {
                        "LabelScoreDto": { label: { required: true, type: () => String }, score: { required: true, type: () => Number } },
                        "ServedEnvelopeDto": { model: { required: true, type: () => String }, version: { required: true, type: () => Number } }
                    }],
                [import("./modules/inference/dto/classify.dto"), {
                        "ClassifyRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object }, top_k: { required: false, type: () => Number, nullable: true, description: "How many labels to return per input, best first; `null` returns every label." }, function_to_apply: { required: false, enum: ["softmax", "sigmoid", "none"] } },
                        "ClassifyItemDto": { labels: { required: true, type: () => [t["./modules/inference/dto/common.dto"].LabelScoreDto] }, truncated: { required: true, type: () => Boolean } },
                        "ClassifyResponseDto": { results: { required: true, type: () => [t["./modules/inference/dto/classify.dto"].ClassifyItemDto] } }
                    }],
                [import("./modules/inference/dto/embeddings.dto"), {
                        "EmbeddingsParamsDto": { pooling: { required: false, enum: ["none", "cls", "mean"] }, normalize: { required: false, type: () => Boolean } },
                        "EmbeddingsRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object } },
                        "EmbeddingItemDto": { embedding: { required: true, type: () => Object }, tokens: { required: false, type: () => [String] }, truncated: { required: true, type: () => Boolean } },
                        "EmbeddingsResponseDto": { results: { required: true, type: () => [t["./modules/inference/dto/embeddings.dto"].EmbeddingItemDto] } }
                    }],
                [import("./modules/inference/dto/fill-mask.dto"), {
                        "FillMaskParamsDto": { top_k: { required: false, type: () => Number } },
                        "FillMaskRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object } },
                        "FillMaskCandidateDto": { score: { required: true, type: () => Number }, token: { required: true, type: () => Number }, token_str: { required: true, type: () => String }, sequence: { required: true, type: () => String } },
                        "FillMaskResponseDto": { results: { required: true, type: () => [
                                    [t["./modules/inference/dto/fill-mask.dto"].FillMaskCandidateDto]
                                ] } }
                    }],
                [import("./modules/inference/dto/ner.dto"), {
                        "NerParamsDto": { aggregation_strategy: { required: false, enum: ["none", "simple", "first", "average", "max"] }, ignore_labels: { required: false, type: () => [String] }, stride: { required: false, type: () => Number } },
                        "NerRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object } },
                        "EntityDto": { entity: { required: false, type: () => String }, entity_group: { required: true, type: () => String }, score: { required: true, type: () => Number }, word: { required: true, type: () => String }, start: { required: true, type: () => Number }, end: { required: true, type: () => Number }, index: { required: false, type: () => Number } },
                        "NerResponseDto": { results: { required: true, type: () => [
                                    [t["./modules/inference/dto/ner.dto"].EntityDto]
                                ] } }
                    }],
                [import("./modules/inference/dto/qa.dto"), {
                        "QaParamsDto": { top_k: { required: false, type: () => Number }, doc_stride: { required: false, type: () => Number }, max_answer_len: { required: false, type: () => Number }, max_seq_len: { required: false, type: () => Number }, max_question_len: { required: false, type: () => Number }, handle_impossible_answer: { required: false, type: () => Boolean } },
                        "QaRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object } },
                        "AnswerDto": { answer: { required: true, type: () => String }, score: { required: true, type: () => Number }, start: { required: true, type: () => Number }, end: { required: true, type: () => Number } },
                        "QaResponseDto": { results: { required: true, type: () => [
                                    [t["./modules/inference/dto/qa.dto"].AnswerDto]
                                ] } }
                    }],
                [import("./modules/inference/dto/zero-shot.dto"), {
                        "ZeroShotRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object }, candidate_labels: { required: true, type: () => [String] }, hypothesis_template: { required: false, type: () => String }, multi_label: { required: false, type: () => Boolean } },
                        "ZeroShotItemDto": { sequence: { required: true, type: () => String }, labels: { required: true, type: () => [String] }, scores: { required: true, type: () => [Number] }, truncated: { required: true, type: () => Boolean } },
                        "ZeroShotResponseDto": { results: { required: true, type: () => [t["./modules/inference/dto/zero-shot.dto"].ZeroShotItemDto] } }
                    }],
                [import("./modules/kserve/kserve.dto"), {
                        "InferInputTensorDto": { name: { required: true, type: () => String, description: "text (and text_pair) for classification, NER, fill-mask and embeddings; question and context for QA.", example: "text" }, shape: { required: true, type: () => [Number], example: [2] }, datatype: { required: true, type: () => String, description: "Text inputs are BYTES, sent as JSON strings.", example: "BYTES" }, parameters: { required: false, type: "object", additionalProperties: true }, data: { required: true, type: () => [Object], description: "Row-major, flat or nested.", example: ["I loved it", "Dreadful"] } },
                        "InferRequestedOutputDto": { name: { required: true, type: () => String }, parameters: { required: false, type: "object", additionalProperties: true } },
                        "InferRequestDto": { id: { required: false, type: () => String }, parameters: { required: false, type: "object", additionalProperties: true, description: "Task parameters as the /v1 endpoints name them (function_to_apply, candidate_labels, aggregation_strategy, top_k, ...)." }, inputs: { required: true, type: () => [t["./modules/kserve/kserve.dto"].InferInputTensorDto] }, outputs: { required: false, type: () => [t["./modules/kserve/kserve.dto"].InferRequestedOutputDto] } },
                        "InferOutputTensorDto": { name: { required: true, type: () => String }, datatype: { required: true, enum: ["BYTES", "FP32", "INT64"] }, shape: { required: true, type: () => [Number] }, data: { required: true, type: () => [Object] } },
                        "InferResponseDto": { model_name: { required: true, type: () => String }, model_version: { required: true, type: () => String }, id: { required: false, type: () => String }, outputs: { required: true, type: () => [t["./modules/kserve/kserve.dto"].InferOutputTensorDto] } },
                        "TensorMetadataDto": { name: { required: true, type: () => String }, datatype: { required: true, type: () => String }, shape: { required: true, type: () => [Number] } },
                        "ModelMetadataDto": { name: { required: true, type: () => String }, versions: { required: true, type: () => [String] }, platform: { required: true, type: () => String, example: "onnxruntime_onnx" }, inputs: { required: true, type: () => [t["./modules/kserve/kserve.dto"].TensorMetadataDto] }, outputs: { required: true, type: () => [t["./modules/kserve/kserve.dto"].TensorMetadataDto] } },
                        "ServerMetadataDto": { name: { required: true, type: () => String }, version: { required: true, type: () => String }, extensions: { required: true, type: () => [String] } },
                        "ServerLiveDto": { live: { required: true, type: () => Boolean } },
                        "ServerReadyDto": { ready: { required: true, type: () => Boolean } },
                        "ModelReadyDto": { name: { required: true, type: () => String }, ready: { required: true, type: () => Boolean } }
                    }],
                [import("./modules/models/models.dto"), {
                        "ModelVersionDto": { version: { required: true, type: () => Number }, source: { required: true, enum: ["embedded", "imported", "fine-tuned"] }, created_at: { required: true, type: () => String }, size_bytes: { required: true, type: () => Number }, metrics: { required: false, type: "object", additionalProperties: true, description: "How this version was trained and evaluated." } },
                        "ModelDto": { name: { required: true, type: () => String }, task: { required: true, enum: ["text-classification", "token-classification", "question-answering", "fill-mask", "feature-extraction"] }, nli: { required: true, type: () => Boolean, description: "Also serves NLI and zero-shot classification." }, architecture: { required: true, type: () => String }, labels: { required: true, type: () => [String] }, max_sequence_length: { required: true, type: () => Number }, versions: { required: true, type: () => [t["./modules/models/models.dto"].ModelVersionDto] }, active_version: { required: true, type: () => Number, description: "The version this server serves (in a fleet: this replica)." }, registry_active_version: { required: false, type: () => Number, nullable: true, description: "Fleet mode only (`GET /v1/models/{name}`): the registry's active version, which every replica\nconverges to (a model never activated: its default version); null when the database cannot be\nreached. Absent on a single server." }, device: { required: true, enum: ["cpu", "cuda"] }, load_time_ms: { required: true, type: () => Number }, fine_tunable: { required: true, type: () => Boolean, description: "False when the model has no weights (model.safetensors or pytorch_model.bin): servable, not fine-tunable." }, status: { required: true, description: "unloaded: released on request; inference on it answers 409 CONFLICT until POST /v1/models/{name}/load.", enum: ["failed", "loading", "ready", "unloaded"] } },
                        "ModelListDto": { object: { required: true, type: () => String }, data: { required: true, type: () => [t["./modules/models/models.dto"].ModelDto] } },
                        "ImportedVersionDto": { version: { required: true, type: () => t["./modules/models/models.dto"].ModelVersionDto }, model: { required: false, type: () => t["./modules/models/models.dto"].ModelDto, description: "The model after activation, when activate=true." } },
                        "ImportVersionQueryDto": { activate: { required: false, type: () => Boolean, description: "Activate the new version once imported." } }
                    }],
                [import("./http/error-body.dto"), {
                        "ErrorDetailDto": { code: { required: true, type: () => String, description: "Stable machine-readable code.", example: "INVALID_INPUT" }, message: { required: true, type: () => String, example: "invalid request: inputs: must be a non-empty string" }, details: { required: false, type: "object", additionalProperties: true, description: "Code-specific fields (for validation: the field list)." } },
                        "ErrorBodyDto": { error: { required: true, type: () => t["./http/error-body.dto"].ErrorDetailDto } }
                    }],
                [import("./modules/health/health.dto"), {
                        "LiveDto": { status: { required: true, type: () => String } },
                        "ModelStatusDto": { name: { required: true, type: () => String }, status: { required: true, enum: ["failed", "loading", "ready", "unloaded"] }, active_version: { required: true, type: () => Number } },
                        "ReadyDto": { status: { required: true, type: () => String }, models: { required: true, type: () => [t["./modules/health/health.dto"].ModelStatusDto] } }
                    }],
                [import("./modules/info/info.dto"), {
                        "LimitsDto": { max_inputs_per_request: { required: true, type: () => Number, description: "Texts per request (client batch size cap)." }, max_candidate_labels: { required: true, type: () => Number }, max_text_chars: { required: true, type: () => Number, description: "Characters (code points) per text." }, max_body_bytes: { required: true, type: () => Number }, max_archive_bytes: { required: true, type: () => Number } },
                        "BatchingDto": { enabled: { required: true, type: () => Boolean }, max_batch_size: { required: true, type: () => Number }, max_batch_tokens: { required: true, type: () => Number }, max_wait_ms: { required: true, type: () => Number }, max_queue: { required: true, type: () => Number } },
                        "InfoModelDto": { name: { required: true, type: () => String }, task: { required: true, type: () => String }, nli: { required: true, type: () => Boolean }, active_version: { required: true, type: () => Number }, status: { required: true, type: () => String }, max_sequence_length: { required: true, type: () => Number } },
                        "InfoDto": { name: { required: true, type: () => String, example: "berth" }, version: { required: true, type: () => String }, device: { required: true, type: () => String }, state: { required: true, enum: ["failed", "ready", "starting", "closed"] }, limits: { required: true, type: () => t["./modules/info/info.dto"].LimitsDto }, batching: { required: true, type: () => t["./modules/info/info.dto"].BatchingDto }, models: { required: true, type: () => [t["./modules/info/info.dto"].InfoModelDto] }, defaults: { required: false, type: "object", additionalProperties: { type: "string" }, description: "Default model per task." } }
                    }],
                [import("./metrics/metrics.dto"), {
                        "ModelTrafficDto": { model: { required: true, type: () => String }, requests: { required: true, type: () => Number, description: "Requests answered inside the window." }, errors: { required: true, type: () => Number, description: "Of those, answered with a 4xx or 5xx status." }, requests_per_second: { required: true, type: () => Number, description: "Requests inside the window divided by its length." }, p95_seconds: { required: true, type: () => Number, nullable: true, description: "Nearest-rank 95th percentile of the request durations inside the window, in seconds; null when there were none." } },
                        "MetricsSummaryDto": { window_seconds: { required: true, type: () => Number, description: "Length of the window, in seconds." }, models: { required: true, type: () => [t["./metrics/metrics.dto"].ModelTrafficDto], description: "Every model that has answered a request since the server started, by name." } }
                    }],
                [import("./modules/auth/auth.dto"), {
                        "WhoAmIDto": { auth_enabled: { required: true, type: () => Boolean, description: "Whether this server requires API keys (BERTH_API_KEYS / BERTH_ADMIN_KEYS)." }, scope: { required: true, description: "The key's scope: `admin` (everything; also every request when keys are off), `inference`, or `none` (no key sent).", enum: ["none", "admin", "inference"] }, can_infer: { required: true, type: () => Boolean, description: "Whether the key may call the inference routes and read models." }, can_administer: { required: true, type: () => Boolean, description: "Whether the key may upload files, start and cancel jobs, and activate, roll back, load or unload models." }, public_metrics: { required: true, type: () => Boolean, description: "Whether /metrics (and /metrics/summary) answer without a key." } }
                    }],
                [import("./modules/inference/dto/nli.dto"), {
                        "NliRequestDto": { model: { required: false, type: () => String }, inputs: { required: true, type: () => Object } },
                        "NliResponseDto": { results: { required: true, type: () => [t["./modules/inference/dto/classify.dto"].ClassifyItemDto] } }
                    }],
                [import("./modules/hf-compat/hf-compat.dto"), {
                        "HfRequestDto": { inputs: { required: true, type: () => Object, description: "Task-dependent: a text or array of texts; {text, text_pair} for pair classification; {question, context} (or an array) for question answering." }, parameters: { required: false, type: "object", additionalProperties: true, description: "The task's parameters, as the Hugging Face pipeline names them." }, options: { required: false, type: "object", additionalProperties: true, description: "Accepted for compatibility (wait_for_model, use_cache); ignored." } },
                        "HfClassifyParamsDto": { top_k: { required: false, type: () => Number, nullable: true }, function_to_apply: { required: false, enum: ["softmax", "sigmoid", "none"] } },
                        "HfZeroShotParamsDto": { candidate_labels: { required: true, type: () => Object, description: "An array, or a comma-separated string as the Hugging Face pipeline also accepts." }, hypothesis_template: { required: false, type: () => String }, multi_label: { required: false, type: () => Boolean } }
                    }]
            ],
            "controllers": [
                [import("./modules/health/health.controller"), {
                        "HealthController": { "live": { type: t["./modules/health/health.dto"].LiveDto }, "ready": { type: t["./modules/health/health.dto"].ReadyDto } }
                    }],
                [import("./modules/info/info.controller"), {
                        "InfoController": { "info": { type: t["./modules/info/info.dto"].InfoDto } }
                    }],
                [import("./metrics/metrics.controller"), {
                        "MetricsController": { "scrape": {}, "summary": { type: t["./metrics/metrics.dto"].MetricsSummaryDto } }
                    }],
                [import("./modules/files/files.controller"), {
                        "FilesController": { "upload": { type: t["./modules/files/files.dto"].FileObjectDto }, "list": { type: t["./modules/files/files.dto"].FileListDto }, "get": { type: t["./modules/files/files.dto"].FileObjectDto }, "content": {}, "tokenLengths": { type: t["./modules/files/files.dto"].FileTokenLengthsDto }, "delete": { type: t["./modules/files/files.dto"].FileDeletedDto } }
                    }],
                [import("./modules/fine-tuning/fine-tuning.controller"), {
                        "FineTuningController": { "create": { type: t["./modules/fine-tuning/fine-tuning.dto"].JobObjectDto }, "list": { type: t["./modules/fine-tuning/fine-tuning.dto"].JobListDto }, "get": { type: t["./modules/fine-tuning/fine-tuning.dto"].JobObjectDto }, "cancel": { type: t["./modules/fine-tuning/fine-tuning.dto"].JobObjectDto }, "events": { type: t["./modules/fine-tuning/fine-tuning.dto"].JobEventListDto }, "checkpoints": { type: t["./modules/fine-tuning/fine-tuning.dto"].JobCheckpointListDto } }
                    }],
                [import("./modules/inference/inference.controller"), {
                        "InferenceController": { "classify": {}, "nli": {}, "zeroShot": {}, "ner": {}, "qa": {}, "embeddings": {}, "fillMask": {} }
                    }],
                [import("./modules/hf-compat/hf-compat.controller"), {
                        "HfCompatController": { "run": {}, "runPipeline": {} }
                    }],
                [import("./modules/kserve/kserve.controller"), {
                        "KServeController": { "server": { type: t["./modules/kserve/kserve.dto"].ServerMetadataDto }, "live": { type: t["./modules/kserve/kserve.dto"].ServerLiveDto }, "ready": { type: t["./modules/kserve/kserve.dto"].ServerReadyDto }, "metadata": { type: t["./modules/kserve/kserve.dto"].ModelMetadataDto }, "modelReady": { type: t["./modules/kserve/kserve.dto"].ModelReadyDto }, "versionMetadata": { type: t["./modules/kserve/kserve.dto"].ModelMetadataDto }, "infer": {}, "inferVersion": {} }
                    }],
                [import("./modules/models/models.controller"), {
                        "ModelsController": { "list": { type: t["./modules/models/models.dto"].ModelListDto }, "get": { type: t["./modules/models/models.dto"].ModelDto }, "activate": { type: t["./modules/models/models.dto"].ModelDto }, "rollback": { type: t["./modules/models/models.dto"].ModelDto }, "unload": { type: t["./modules/models/models.dto"].ModelDto }, "load": { type: t["./modules/models/models.dto"].ModelDto }, "importVersion": { type: t["./modules/models/models.dto"].ImportedVersionDto } }
                    }],
                [import("./modules/auth/auth.controller"), {
                        "AuthController": { "whoami": { type: t["./modules/auth/auth.dto"].WhoAmIDto } }
                    }],
                [import("./modules/console/console.controller"), {
                        "ConsoleController": { "page": {}, "asset": {} }
                    }]
            ]
        }
    };
};
