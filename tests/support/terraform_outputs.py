"""What terraform/envs/{dev,prod} promise to output: `make trigger` and the release read them."""

ENV_OUTPUTS = frozenset(
    {
        "project_id",
        "region",
        "workflow_name",
        "workflow_id",
        "job_name",
        "job_service_account",
        "video_bucket",
        "training_bucket",
        "artifact_registry_repository_url",
        "wif_provider",
        "deployer_service_account",
        # Read back by the release's apply as TF_VAR_supabase_url and TF_VAR_github.
        "supabase_url",
        "wif_github",
    }
)
