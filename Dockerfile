# The coderun operator image: one image, two commands (`api`, `controller`; see src/main.ts), also used
# by the chart's seccomp-profile installer (it needs only `node`).
#   docker build -t "coderun/operator:$(jq -r .version package.json)" .
# hack/build-operator-image.sh builds the same layout without Docker or a registry and reads ENV, USER,
# WORKDIR, ENTRYPOINT, CMD and COPY of the final stage from here (hack/lib/dockerfile.ts).

# Build: the TypeScript compiler needs the dev dependencies.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, installed apart from the build so no dev package reaches the image.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# package.json says "type": "module", which the compiled dist/*.js rely on.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# A numeric non-root user, so Kubernetes can check runAsNonRoot without an /etc/passwd entry.
USER 65532:65532
ENTRYPOINT ["node", "/app/dist/main.js"]
CMD ["api"]
