# syntax=docker/dockerfile:1
#
# The inferctl monitor image: `docker build -t inferctl:0.1.0 .`
#
# NOTE: this file has never been built on the machines the project is developed on (there is no
# Docker engine there), so it is kept deliberately plain: two stages, no BuildKit-only features
# beyond the syntax line, nothing downloaded but npm packages. What *is* tested is everything the
# image runs: `npm run build`, `bin/inferctl.js`, and the deploy/ manifests that start it
# (test/integration/deploy-manifests.test.ts). See docs/operations.md, "Building the image".
#
# Node.js 24 (LTS, supported until 2028-04-30; Node 20 reached its end of life on 2026-04-30). The
# same release as hack/node/lts.version, on which `npm run test:lts` runs the unit tier.
# Pin the base image by digest in your own pipeline (node:24-bookworm-slim@sha256:…).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: full dependency tree, TypeScript → dist/ -------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and compiled JavaScript only -----------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Everything under /app belongs to root and is read-only to the process; the monitor writes
# nothing to disk (logs go to stdout), so it runs with readOnlyRootFilesystem: true. The
# Deployment mounts an emptyDir at /tmp for anything a library might want to write there.
# UID 1000 is the `node` user of the official image; numeric so runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 9090 8081
# The same command as deploy/base/deployment.yaml (lite mode: see the comment there).
ENTRYPOINT ["node", "--lite-mode", "bin/inferctl.js", "monitor"]
