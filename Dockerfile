# syntax=docker/dockerfile:1
# One image for every mode: `docker run ci-fixer:latest api|worker|all` (default: all).
#   docker build -t ci-fixer:latest .
# The Helm chart and k8s/ manifests run it as uid 1000 with a read-only root filesystem.
ARG NODE_IMAGE=node:24-bookworm-slim

# Compile TypeScript with the full (dev) dependency set.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
RUN npm run build

FROM ${NODE_IMAGE}
# tini is PID 1: it forwards SIGTERM to node (which drains the worker) and reaps children.
# git: the worker pushes verified fixes (GitHub reporting), and the local sandbox driver clones.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini git ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
# Numeric, so Kubernetes can verify runAsNonRoot (uid 1000 is the image's "node" user).
USER 1000:1000
EXPOSE 3001 9464
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--enable-source-maps", "dist/src/main.js"]
CMD ["all"]
