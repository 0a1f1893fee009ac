# The operator image (Dockerfile) built locally without a registry, and the plain manifests rendered
# from the Helm chart (charts/coderun).
.PHONY: operator-image manifests
operator-image: setup ## Build the operator image into $(CODERUN_CACHE)/images/operator.tar (needs root; cached by its inputs).
	hack/build-operator-image.sh build

manifests: ## Render deploy/manifests/coderun.yaml from the Helm chart (builds helm once).
	hack/render-manifests.sh
