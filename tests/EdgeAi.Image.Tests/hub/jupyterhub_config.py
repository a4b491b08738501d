# A real JupyterHub for the classroom test (tests/EdgeAi.Image.Tests/JupyterHubTests.cs): Debian 13's jupyterhub
# 5.2.1 and configurable-http-proxy in one container of the lab image.
#
# Users' servers are processes of that container, spawned with SimpleLocalProcessSpawner, not podman containers:
# Debian packages no container spawner (DockerSpawner and KubeSpawner are on PyPI only), and a hub in a container
# starting containers would need podman inside podman. Each process runs exactly what the chart runs in a pod, the
# image's entrypoint with `jupyterhub-singleuser`, as uid 1000 with the image's environment, a home of its own
# (a host folder per user, as a volume per user) and the shared /books. What a pod adds (its memory limit, its own
# filesystem) is Kubernetes' part, checked in the manifests' tests, not here.
import os

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

c.JupyterHub.bind_url = f"http://127.0.0.1:{os.environ['HUB_PORT']}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ['HUB_API_PORT']}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ['PROXY_API_PORT']}"
c.JupyterHub.db_url = "sqlite:////srv/hub/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "/srv/hub/jupyterhub_cookie_secret"

# Two students with a password of the test's (the chart's values use NativeAuthenticator instead).
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ["HUB_PASSWORD"]
c.Authenticator.allowed_users = {"alice", "bob"}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "/srv/homes/{username}"
c.Spawner.cmd = ["/usr/local/bin/edgeai-lab", "jupyterhub-singleuser"]
# A pod has the image's environment; a process spawned here gets only what env_keep names: the image's variables.
c.Spawner.env_keep = os.environ["EDGEAI_IMAGE_ENV"].split()
# The test's short timeout, 20 s. Kernels are culled by the file the chart's values mount (with the test's short
# timeouts). Servers: by the chart's own culler, jupyterhub-idle-culler, where the test was given a checkout of it
# (it is on PyPI only, not in Debian); otherwise a server with no kernel and no request shuts itself down
# (jupyter_server's own idle shutdown), which the hub records as a stopped server all the same.
culler = os.environ.get("EDGEAI_IDLE_CULLER")
if culler:
    c.JupyterHub.last_activity_interval = 5
    c.Spawner.environment = {"JUPYTERHUB_ACTIVITY_INTERVAL": "5"}   # servers report activity every 5 s, not 300
    c.Spawner.args = []
else:
    c.Spawner.args = ["--ServerApp.shutdown_no_activity_timeout=20"]
c.Spawner.poll_interval = 5
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# The test drives the hub's REST API as a service with the admin role.
c.JupyterHub.services = [{"name": "edgeai-test", "api_token": os.environ["HUB_ADMIN_TOKEN"]}]
c.JupyterHub.load_roles = [{"name": "admin", "services": ["edgeai-test"]}]
if culler:
    # As the chart runs it: a hub-managed service with the scopes it needs, and no more.
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": ["python3", "-m", "jupyterhub_idle_culler", "--timeout=20", "--cull-every=5"],
        "environment": {"PYTHONPATH": culler},
    })
    c.JupyterHub.load_roles.append({
        "name": "idle-culler",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    })
