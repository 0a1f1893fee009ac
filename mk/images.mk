# Sandbox images (sandbox_base_image/) built locally from a debootstrap root filesystem, no registry
# needed: hack/build-sandbox-images.sh. Both targets need root.
.PHONY: images images-check
images: ## Build the sandbox images into $(CODERUN_CACHE)/images (slow once, then cached by their inputs).
	hack/build-sandbox-images.sh build

images-check: ## Run the sandbox images' check programs under runc with seccomp/sandbox.json.
	hack/build-sandbox-images.sh check
