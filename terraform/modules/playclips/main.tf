# The whole pipeline for one environment: every module wired together. The env roots
# (terraform/envs/dev, terraform/envs/prod) are a backend, one call to this module, committed
# settings and pass-through outputs; what differs between environments is data, never code.
locals {
  labels = merge({ app = "playclips", env = var.env }, var.labels)
  # The job's plain environment; the workflow adds PLAYCLIPS_GAMES_URI (the run's games list,
  # gs://TRAINING/runs/RUN/games.json), PLAYCLIPS_RUN_ID, PLAYCLIPS_MODE and encode options
  # per execution.
  job_env = {
    PLAYCLIPS_VIDEOS     = module.storage.urls.video
    PLAYCLIPS_OUT        = module.storage.urls.training
    PLAYCLIPS_PLAYS      = "supabase"
    SUPABASE_URL         = var.supabase_url
    PLAYCLIPS_LOG_FORMAT = "json"
  }
  job_name = "playclips"
  # The deploy contract (docs/design.md, "Deploy contract"): a release passes job_image; any
  # other apply keeps the image the job runs now, read back from the live job.
  job_image = var.job_image != null ? var.job_image : one(data.google_cloud_run_v2_job.running[*].template[0].template[0].containers[0].image)
}

# Read only when no image is given, so a release (which gives one) never depends on it. The job
# must exist: the first apply (make bootstrap) passes Google's sample image instead.
data "google_cloud_run_v2_job" "running" {
  count    = var.job_image == null ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = local.job_name
}

module "project_services" {
  source     = "../project_services"
  project_id = var.project_id
}

module "storage" {
  source     = "../storage"
  project_id = var.project_id
  location   = coalesce(var.location, var.region)
  labels     = local.labels
  names = {
    video    = "${var.project_id}-playclips-videos"
    training = "${var.project_id}-playclips-training"
  }
  depends_on = [module.project_services]
}

module "secrets" {
  source                 = "../secrets"
  project_id             = var.project_id
  labels                 = local.labels
  deletion_protection    = var.deletion_protection
  secret_data_wo         = var.supabase_service_key
  secret_data_wo_version = var.supabase_service_key_version
  depends_on             = [module.project_services]
}

# Service accounts, custom roles and the job need their APIs on: every module that creates
# something waits for project_services.
module "clip_job" {
  source              = "../clip_job"
  project_id          = var.project_id
  region              = var.region
  name                = local.job_name
  labels              = local.labels
  deletion_protection = var.deletion_protection
  buckets             = module.storage.names
  # module.secrets.id waits for a version Terraform writes (supabase_service_key): Cloud Run
  # refuses a job whose secret has no version yet.
  supabase_secret = { id = module.secrets.id }
  container = {
    image = local.job_image
    args  = ["run"]
    env   = local.job_env
  }
  resources = {
    cpu    = var.job.cpu
    memory = var.job.memory
  }
  execution = {
    max_retries  = var.job.max_retries
    parallelism  = var.job.parallelism
    task_timeout = var.job.task_timeout
  }
  scratch_disk = var.job.scratch_disk
  depends_on   = [module.project_services]
}

module "pipeline" {
  source              = "../pipeline"
  project_id          = var.project_id
  region              = var.region
  labels              = local.labels
  deletion_protection = var.deletion_protection
  call_log_level      = var.workflow_call_log_level
  source_contents     = file("${path.module}/../../../workflows/clip_pipeline.workflows.yaml")
  job                 = { name = module.clip_job.name, location = module.clip_job.location }
  training_bucket     = module.storage.names.training
  depends_on          = [module.project_services]
}

module "github_ci" {
  source       = "../github_ci"
  project_id   = var.project_id
  region       = var.region
  github       = var.github
  buckets      = module.storage.names
  state_bucket = var.state_bucket
  job = {
    name               = module.clip_job.name
    location           = module.clip_job.location
    service_account_id = module.clip_job.service_account.id
  }
  depends_on = [module.project_services]
}
