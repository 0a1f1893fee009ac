# `make up` / `make down` (hack/up.sh, hack/down.sh; rules in the top-level Makefile), the Helm release in
# the current cluster (hack/deploy.sh) and the kind cluster (hack/kind.sh, kind-config.yaml; with
# hack/kind-engine.sh and hack/kind-node-image.sh where there is no Docker or no registry).
# RELEASE / RELEASE_NAMESPACE (default coderun / coderun) and HELM_ARGS pass through.
.PHONY: deploy logs kind-up kind-down kind-config
deploy: ## helm upgrade --install the chart into the current cluster ($KUBECONFIG, else the one `make up` started).
	hack/deploy.sh deploy

logs: ## Follow the API and controller logs of the release.
	hack/deploy.sh logs

kind-up: ## Create (or reuse) kind cluster "coderun" with gVisor from kind-config.yaml (engine and node image built here unless given).
	hack/kind.sh up

kind-down: ## Delete kind cluster "coderun" and stop the Docker engine kind-up started.
	hack/kind.sh down

kind-config: ## Regenerate kind-config.yaml from hack/cluster/containerd-runsc.toml.
	hack/render-kind-config.sh
