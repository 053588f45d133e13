# syntax=docker/dockerfile:1
# Berth server image. CPU by default; `--build-arg DEVICE=cuda` builds the GPU variant (CUDA 12
# runtime base, onnxruntime-node's CUDA binaries fetched at install).
ARG DEVICE=cpu
ARG NODE_VERSION=20

# ---- build: dev dependencies, TypeScript → dist/ ---------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Compiling TypeScript needs no native addons, so no install scripts run here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
# The web console: bundled by esbuild (its platform binary is an optional dependency, no install script) into dist/console.
COPY console ./console
COPY scripts/build-console.js ./scripts/
RUN npm run build

# ---- production dependencies only -------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS prod-deps
ARG DEVICE
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The CPU build of ONNX Runtime ships inside onnxruntime-node. Its install script (denied in
# package.json's allowScripts) would fetch the CUDA 12 provider libraries from NuGet on linux/x64:
# the CPU image never runs it; the CUDA image runs it on purpose, asking for cuda12.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
    && npm rebuild better-sqlite3 \
    && if [ "$DEVICE" = "cuda" ]; then \
         ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js; \
       fi

# ---- runtime bases ----------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim AS runtime-cpu

# Ubuntu 24.04 (glibc 2.39) so native addons built on bookworm (glibc 2.36) load unchanged.
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04 AS runtime-cuda
ARG NODE_VERSION
COPY --from=build /usr/local/bin/node /usr/local/bin/node
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility

# ---- runtime ----------------------------------------------------------------------------------------
FROM runtime-${DEVICE} AS runtime
ARG DEVICE
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    BERTH_MODELS_DIR=/app/models \
    BERTH_DATA_DIR=/data \
    BERTH_DEVICE=${DEVICE}
WORKDIR /app
RUN (getent group berth || groupadd --system berth) \
    && (id -u berth >/dev/null 2>&1 || useradd --system --gid berth --home-dir /app --shell /usr/sbin/nologin berth) \
    && mkdir -p /data && chown berth:berth /data
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY models ./models
USER berth
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
