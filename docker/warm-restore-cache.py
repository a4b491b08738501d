"""Runs the release's `#r "nuget: EdgeAi.Interactive, VERSION"` once, at image build, in the image's own kernel
(named on the command line), so that dotnet-interactive's restore cache for that exact request exists; the entrypoint copies it
into each new $HOME. A pod's first #r then takes 1.8 s instead of 3.4 s (measured in the image). The cache names
this platform's native files, so it is made on the platform the image is for.
    python3 warm-restore-cache.py VERSION KERNEL_NAME"""
import sys

from jupyter_client.manager import KernelManager

version, kernel_name = sys.argv[1:3]
manager = KernelManager(kernel_name=kernel_name)
manager.start_kernel()
try:
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=300)
    reply = client.execute_interactive(f'#r "nuget: EdgeAi.Interactive, {version}"', timeout=600, output_hook=lambda message: None)
    client.stop_channels()
    del client   # now, not while the interpreter exits (jupyter_client's destructor then fails noisily)
    if reply["content"]["status"] != "ok":
        sys.exit(f"warm-restore-cache: the #r failed: {reply['content']}")
finally:
    manager.shutdown_kernel(now=True)
