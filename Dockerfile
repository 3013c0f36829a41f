# The minprow image: `minprow serve` in one pod, and the pod utilities
# (`minprow podutils clonerefs|initupload|place-entrypoint|sidecar`) that
# decorate job pods on Kubernetes (minprow/podutils/podspec.py names this image
# as their container image). git is for clonerefs; /bin/sh (the base image's
# dash) runs the entrypoint wrapper of `minprow podutils entrypoint`.
FROM python:3.11.10-slim-bookworm

# Pinned to bookworm's version, as hadolint asks (DL3008): bump with the base.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git=1:2.39.5-0+deb12u3 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY minprow ./minprow
RUN pip install --no-cache-dir . && rm -rf /src

# Non-root, with a fixed UID so pod security contexts can name it.
RUN useradd --create-home --uid 65532 minprow
USER 65532
WORKDIR /home/minprow
ENTRYPOINT ["minprow"]
CMD ["--help"]
