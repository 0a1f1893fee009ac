# Sandbox images (sandbox_base_image/) built locally from a debootstrap root filesystem, no registry
# needed: hack/build-sandbox-images.sh. Every target here needs root.
.PHONY: images images-check
images: ## Build the sandbox images into $(CODERUN_CACHE)/images (slow once, then cached by their inputs).
	hack/build-sandbox-images.sh build

images-check: ## Run the sandbox images' check programs under runc with seccomp/sandbox.json.
	hack/build-sandbox-images.sh check

# The runner conformance table (test/conformance/cases.ts) against an image under gVisor, no cluster needed.
.PHONY: runtime-check
runtime-check: setup ## Prove an image implements docs/runner-protocol.md: IMAGE=python|nodejs|typescript|<OCI image tarball> [LANGUAGE=...] [PROGRAM_FILE=...] [PROGRAMS=<dir>] (root).
	@[ -n "$(IMAGE)" ] || { echo "runtime-check: IMAGE= names an OCI image tarball, or python / nodejs / typescript for the images make images built" >&2; exit 2; }
	$(NODE) test/conformance/runtime-check.ts $(IMAGE) $(if $(LANGUAGE),--language $(LANGUAGE)) $(if $(PROGRAM_FILE),--program-file $(PROGRAM_FILE)) $(if $(PROGRAMS),--programs $(PROGRAMS))
