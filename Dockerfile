# syntax=docker/dockerfile:1
# The gateway's image: compiled in one stage, shipped from another with production dependencies
# only, run as an unprivileged user. Nothing in it writes to its own filesystem, so it runs with
# a read-only root (Kubernetes readOnlyRootFilesystem, `docker run --read-only`).
# test/deploy/image.test.ts replays this file step by step from a fresh clone: keep every RUN
# relative to WORKDIR, and keep COPY sources inside the build context.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The npm cache lives in a build cache mount, never in a layer.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# Only what the entry point needs: the config loader reads nothing else but the environment.
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --ignore-scripts
COPY --from=build /app/dist ./dist
COPY public ./public
# Files stay root's: the unprivileged user can read them, never change them. Numeric, so that
# Kubernetes' runAsNonRoot can verify it (uid 1000 is the base image's "node" user).
USER 1000:1000
EXPOSE 3000
# node itself is PID 1 (no npm or shell in between): it handles SIGTERM and SIGINT (src/server.ts)
# and starts no child processes to reap. With `docker run --init` or compose's `init: true`, an
# init forwards the signal to it just the same.
STOPSIGNAL SIGTERM
# Healthy when /healthz and /readyz both answer 200 (src/healthcheck.ts; the image has no curl).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/src/healthcheck.js"]
CMD ["node", "dist/src/server.js"]
