locals {
  env    = "prod"
  labels = merge({ app = "playclips", env = local.env }, var.labels)
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
}

module "project_services" {
  source     = "../../modules/project_services"
  project_id = var.project_id
}

module "storage" {
  source     = "../../modules/storage"
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
  source              = "../../modules/secrets"
  project_id          = var.project_id
  labels              = local.labels
  deletion_protection = var.deletion_protection
  depends_on          = [module.project_services]
}

module "clip_job" {
  source              = "../../modules/clip_job"
  project_id          = var.project_id
  region              = var.region
  labels              = local.labels
  deletion_protection = var.deletion_protection
  buckets             = module.storage.names
  supabase_secret     = { id = module.secrets.id }
  container = {
    image = var.job_image
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
}

module "pipeline" {
  source              = "../../modules/pipeline"
  project_id          = var.project_id
  region              = var.region
  labels              = local.labels
  deletion_protection = var.deletion_protection
  call_log_level      = var.workflow_call_log_level
  source_contents     = file("${path.module}/../../../workflows/clip_pipeline.workflows.yaml")
  job                 = { name = module.clip_job.name, location = module.clip_job.location }
  training_bucket     = module.storage.names.training
}

module "github_ci" {
  source       = "../../modules/github_ci"
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
