# Local single-node Kubernetes cluster with gVisor (hack/cluster/README.md). Needs root.
CLUSTER_SCRIPTS := hack/cluster

.PHONY: cluster-build cluster-up cluster-down cluster-purge cluster-smoke
cluster-build: ## Build/install everything the local cluster needs into $(CODERUN_CACHE) (slow once).
	$(CLUSTER_SCRIPTS)/build.sh

cluster-up: cluster-build ## Start (or reuse) the local cluster; prints the admin kubeconfig path.
	$(CLUSTER_SCRIPTS)/up.sh

cluster-down: ## Stop the local cluster and clean the host (keeps PKI and imported images).
	$(CLUSTER_SCRIPTS)/down.sh

cluster-purge: ## cluster-down, and also remove the PKI and containerd's image store.
	$(CLUSTER_SCRIPTS)/down.sh --purge

cluster-smoke: cluster-up ## Check gVisor and Localhost seccomp in a real Pod; measure pod start.
	$(CLUSTER_SCRIPTS)/smoke.sh
