# The google provider as the env roots' tests see it: every resource mocked, and the job as it
# runs now (an admin plan reads its image back; the deploy contract).
override_data {
  target = module.playclips.data.google_cloud_run_v2_job.running
  values = {
    template = [{ template = [{ containers = [{ image = "europe-west1-docker.pkg.dev/my-playclips/playclips/playclips@sha256:0000000000000000000000000000000000000000000000000000000000000000" }] }] }]
  }
}
