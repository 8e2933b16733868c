# syntax=docker/dockerfile:1
# Steadygraph's image: one image for `steadygraph api`, `worker` and `migrate`.
#
#   docker build -t steadygraph .                                  # the bundled example project
#   docker build -t my-agent --build-context project=../my-agent . # your LangGraph project
#
# The project (the folder holding langgraph.json) is baked in at /project; its
# langgraph.json `dependencies` packages and its requirements file are installed.

ARG PYTHON_VERSION=3.12

# The LangGraph project served by default; `--build-context project=<dir>`
# (compose: build.additional_contexts) replaces this stage with your folder.
FROM scratch AS project
COPY examples/ /

# --- builder: Steadygraph's wheel ---------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS builder
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
# steadygraph/api, /workflows and /activities are symlinks to these top-level
# folders; setuptools follows them into the wheel.
COPY steadygraph ./steadygraph
COPY api ./api
COPY workflows ./workflows
COPY activities ./activities
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# --- final: the runtime, as a non-root user --------------------------------------
FROM python:${PYTHON_VERSION}-slim
# Path inside the project of an extra pip requirements file; installed when present.
ARG PROJECT_REQUIREMENTS=requirements.txt

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STEADYGRAPH_CONFIG=/project/langgraph.json \
    STEADYGRAPH_DATA_DIR=/data \
    STEADYGRAPH_HOST=0.0.0.0 \
    STEADYGRAPH_PORT=8123

RUN groupadd --system --gid 10001 steadygraph \
    && useradd --system --uid 10001 --gid steadygraph --home-dir /home/steadygraph \
       --create-home --shell /usr/sbin/nologin steadygraph \
    && mkdir -p /data && chown steadygraph:steadygraph /data

COPY --from=builder /wheels /tmp/wheels
# With the `otel` extra (tracing stays off until configured); without `embedded`:
# the image talks to a Temporal cluster and never runs the dev server.
RUN pip install "$(ls /tmp/wheels/*.whl)[otel]" && rm -rf /tmp/wheels

COPY --from=project / /project/
# The project's own requirements: the package entries of langgraph.json's
# `dependencies` (local folders are put on sys.path at start-up) and the file
# named by PROJECT_REQUIREMENTS.
RUN python -c "from pathlib import Path; from steadygraph.config.project import load_project; \
print(*load_project(Path('/project/langgraph.json')).packages, sep='\n', end='')" > /tmp/packages.txt \
    && if [ -s /tmp/packages.txt ]; then pip install -r /tmp/packages.txt; fi \
    && if [ -n "${PROJECT_REQUIREMENTS}" ] && [ -f "/project/${PROJECT_REQUIREMENTS}" ]; then \
         pip install -r "/project/${PROJECT_REQUIREMENTS}"; fi \
    && rm -f /tmp/packages.txt

USER 10001:10001
WORKDIR /home/steadygraph
VOLUME ["/data"]
EXPOSE 8123

HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('STEADYGRAPH_PORT', '8123'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/ok', timeout=4).status == 200 else 1)"]

CMD ["steadygraph", "api", "--host", "0.0.0.0"]
