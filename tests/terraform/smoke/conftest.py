"""Smoke suite: really applies modules/playclips (what every env root calls) to a real project,
then destroys it.

Collected only when PLAYCLIPS_SMOKE_PROJECT names a project and GOOGLE_APPLICATION_CREDENTIALS
(or GOOGLE_OAUTH_ACCESS_TOKEN) gives access to it; everywhere else, including CI, nothing here
is collected. It needs pytest-terraform (`pip install pytest-terraform==0.7.0`) and the real
google provider, so it runs with the default Terraform CLI configuration.
"""

import os

_configured = bool(os.environ.get("PLAYCLIPS_SMOKE_PROJECT")) and bool(
    os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")
)

collect_ignore_glob = [] if _configured else ["test_*.py"]
