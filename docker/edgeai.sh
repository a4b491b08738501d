#!/bin/sh
# The core's CLI (train, eval, predict, list), e.g. for the training Job.
exec dotnet /opt/edgeai/cli/edgeai.dll "$@"
