"""JupyterHub for a CSM Academy cohort: Linux accounts on one server, one shared venv, nbgrader's exchange.

Run as root from the hub's state folder (it keeps jupyterhub.sqlite and the cookie secret there):
``cd /srv/jupyterhub && /opt/csm-academy/venv/bin/jupyterhub -f /opt/csm-academy/jupyterhub_config.py``.
deploy/README.md says where every file goes; tests/test_jupyterhub.py runs this file as it is, with its own
ports and sign-in group layered on top.
"""

import sys
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub when it reads this file)

# The hub runs from the shared venv, and so does every user's server: one install of the course for all.
VENV = Path(sys.prefix)
PREFIX = VENV.parent  # /opt/csm-academy: venv/ and proxy/ side by side

# Who may sign in: Linux accounts (PAM passwords) in this group, trainees and instructors alike. nbgrader
# tells them apart by who owns the course folder, not by anything the hub knows.
COHORT_GROUP = "csm-academy"
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.allowed_groups = {COHORT_GROUP}

# One JupyterLab per user, as that Linux user, from the shared venv.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
# The venv's bin first: nbgrader runs alembic from PATH, and kernels must be the venv's Python. The hub's own
# PATH (often root's) must not reach users.
c.Spawner.environment = {"PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
# Sign-in to a drawn JupyterLab took up to 23 s on a busy 2-core machine: more room than the default 30 s wait.
c.Spawner.http_timeout = 60

# Everything on loopback: put a TLS reverse proxy (nginx, Caddy) in front of port 8000 for a real cohort.
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:8081"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
# configurable-http-proxy installed with `npm ci` in PREFIX/proxy (deploy/proxy/package-lock.json pins it).
c.ConfigurableHTTPProxy.command = [str(PREFIX / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")]
