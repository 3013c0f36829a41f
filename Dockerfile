# The minprow image: `minprow serve` in one pod, and (later) the pod utilities
# (`minprow podutils ...`) that decorate job pods on Kubernetes.
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY pyproject.toml README.md ./
COPY minprow ./minprow
RUN pip install --no-cache-dir . && rm -rf /src

RUN useradd --create-home --uid 65532 minprow
USER 65532
WORKDIR /home/minprow
ENTRYPOINT ["minprow"]
CMD ["--help"]
