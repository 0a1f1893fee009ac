{{/*
Names. fullname is "<release>-coderun", or the release name alone when it already contains "coderun",
cut to 63 characters because it becomes part of DNS labels.
*/}}
{{- define "coderun.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "coderun.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Component names; each is also the name of its ServiceAccount. Room is left for "-controller". */}}
{{- define "coderun.apiName" -}}
{{- printf "%s-api" (include "coderun.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}
{{- define "coderun.controllerName" -}}
{{- printf "%s-controller" (include "coderun.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}
{{- define "coderun.seccompName" -}}
{{- printf "%s-seccomp" (include "coderun.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}

{{- define "coderun.apiServiceName" -}}
{{- default (include "coderun.apiName" .) .Values.api.service.name }}
{{- end }}

{{- define "coderun.apiTokenSecretName" -}}
{{- default (printf "%s-token" (include "coderun.apiName" .)) .Values.api.auth.existingSecret }}
{{- end }}

{{/* The embedded artifacts store: its Deployment, Service, Secret and claim all take this name. */}}
{{- define "coderun.artifactsName" -}}
{{- printf "%s-artifacts" (include "coderun.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}

{{- define "coderun.artifactsSecretName" -}}
{{- default (include "coderun.artifactsName" .) .Values.artifacts.embedded.existingSecret }}
{{- end }}

{{/* The port of the embedded store (versitygw's default), on its container and its Service. */}}
{{- define "coderun.artifactsPort" -}}
7070
{{- end }}

{{- define "coderun.artifactsImage" -}}
{{- $image := .Values.artifacts.embedded.image }}
{{- if eq (toString $image.tag) "latest" }}
{{- fail "artifacts.embedded.image.tag: pin a version instead of \"latest\"" }}
{{- end }}
{{- printf "%s:%s" $image.repository (toString $image.tag) }}
{{- end }}

{{/*
Where the API and the controller keep artifacts, and the credentials they sign with (src/config/artifacts.ts).
embedded is an S3 store too, at the chart's own Service, whose bucket the controller creates at start-up.
For s3 without existingSecret no keys are set, so the AWS SDK's default chain (IRSA, Pod Identity) applies.
*/}}
{{- define "coderun.artifactsEnv" -}}
{{- $a := .Values.artifacts }}
{{- if eq $a.store "none" }}
{{- include "coderun.env" (list "CODERUN_ARTIFACTS_STORE" "none") }}
{{- else }}
{{- $embedded := eq $a.store "embedded" }}
{{- $endpoint := printf "http://%s.%s.svc:%s" (include "coderun.artifactsName" .) .Release.Namespace (include "coderun.artifactsPort" .) }}
{{- include "coderun.env" (list "CODERUN_ARTIFACTS_STORE" "s3") }}
{{ include "coderun.env" (list "CODERUN_ARTIFACTS_S3_ENDPOINT" (ternary $endpoint $a.s3.endpoint $embedded)) }}
{{ include "coderun.env" (list "CODERUN_ARTIFACTS_S3_REGION" (ternary "us-east-1" $a.s3.region $embedded)) }}
{{ include "coderun.env" (list "CODERUN_ARTIFACTS_S3_BUCKET" (ternary "coderun-artifacts" $a.s3.bucket $embedded)) }}
{{ include "coderun.env" (list "CODERUN_ARTIFACTS_S3_PREFIX" (ternary "" $a.s3.prefix $embedded)) }}
{{ include "coderun.env" (list "CODERUN_ARTIFACTS_S3_FORCE_PATH_STYLE" (ternary true $a.s3.forcePathStyle $embedded)) }}
{{ include "coderun.env" (list "CODERUN_ARTIFACTS_S3_CREATE_BUCKET" $embedded) }}
{{- $secret := ternary (include "coderun.artifactsSecretName" .) $a.s3.existingSecret $embedded }}
{{- if $secret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ ternary "accessKeyId" $a.s3.accessKeyIdKey $embedded }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ ternary "secretAccessKey" $a.s3.secretAccessKeyKey $embedded }}
{{- end }}
{{- end }}
{{- end }}

{{/* The ConfigMap in the release namespace where the controller publishes the isolation self-test. */}}
{{- define "coderun.selfTestName" -}}
{{- printf "%s-self-test" (include "coderun.fullname" . | trunc 52 | trimSuffix "-") }}
{{- end }}

{{- define "coderun.leaseName" -}}
{{- default (include "coderun.controllerName" .) .Values.controller.leaderElection.leaseName }}
{{- end }}

{{/*
Labels. The sandbox Pods the controller creates carry app.kubernetes.io/managed-by=coderun and
app.kubernetes.io/component=sandbox (src/controller/sandbox-pod.ts); the chart's own objects use
managed-by=Helm and component api, controller or seccomp-installer, so no selector here can ever match
a sandbox Pod.
*/}}
{{- define "coderun.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "coderun.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: coderun
{{- end }}

{{- define "coderun.selectorLabels" -}}
app.kubernetes.io/name: {{ include "coderun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels and selector labels of one component: include with (list $ "api"). */}}
{{- define "coderun.componentLabels" -}}
{{ include "coderun.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{- define "coderun.componentSelectorLabels" -}}
{{ include "coderun.selectorLabels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/* The operator image; "latest" is refused, a digest wins over the tag, no tag is the chart's appVersion. */}}
{{- define "coderun.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- if eq (toString $image.tag) "latest" }}
{{- fail "image.tag: pin a version instead of \"latest\" (a moving tag makes replicas run different code)" }}
{{- end }}
{{- printf "%s:%s" $image.repository (toString ($image.tag | default .Chart.AppVersion)) }}
{{- end }}
{{- end }}

{{/* A sandbox image: include with (list $ "python"); empty is coderun/sandbox-<language> at the chart's appVersion. */}}
{{- define "coderun.sandboxImage" -}}
{{- $root := index . 0 }}
{{- $lang := index . 1 }}
{{- index $root.Values.sandbox.images $lang | default (printf "coderun/sandbox-%s:%s" $lang $root.Chart.AppVersion) }}
{{- end }}

{{/*
A value as an env var string. Numbers from values.yaml arrive as float64, and quoting one directly turns
2097152 into "2.097152e+06"; whole numbers are printed as integers instead.
*/}}
{{- define "coderun.envString" -}}
{{- if kindIs "float64" . }}
{{- if eq (float64 (int64 .)) . }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* One env entry: include with (list "NAME" value). */}}
{{- define "coderun.env" -}}
- name: {{ index . 0 }}
  value: {{ include "coderun.envString" (index . 1) | quote }}
{{- end }}

{{/* POD_NAME and POD_NAMESPACE from the downward API: replica identity and Lease holder name. */}}
{{- define "coderun.downwardEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end }}

{{/*
Topology spread constraints of one component: include with (list $ "api" .Values.api.topologySpreadConstraints).
A constraint without a labelSelector would match no Pods and so spread nothing; it gets the component's.
*/}}
{{- define "coderun.topologySpread" -}}
{{- $root := index . 0 }}
{{- $selector := include "coderun.componentSelectorLabels" (list $root (index . 1)) | fromYaml }}
{{- $out := list }}
{{- range (index . 2) }}
{{- $c := deepCopy . }}
{{- if not (hasKey $c "labelSelector") }}
{{- $_ := set $c "labelSelector" (dict "matchLabels" $selector) }}
{{- end }}
{{- $out = append $out $c }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
Security context of every operator container: no root, no privilege, nothing writable but what is
mounted. The image runs as 65532 (Dockerfile); it is repeated here so the kubelet enforces it.
*/}}
{{- define "coderun.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "coderun.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
A Kubernetes quantity from a value that may be a number (cpu: 1) or a string ("500m").
*/}}
{{- define "coderun.quantity" -}}
{{- include "coderun.envString" . }}
{{- end }}

{{/*
The custom seccomp profile from seccompInstaller.profile, as the installer writes it (the JSON text as
given, or a map as JSON); empty when there is none. Fails when runsc could not load it: every sandbox Pod
would then fail to start. Actions are the ones runsc accepts (runsc/specutils/seccomp convertAction), and
clone3 must stay allowed: gVisor answers a denied call with EPERM whatever errnoRet says, and glibc falls
back to clone only on ENOSYS, so no thread could start.
*/}}
{{- define "coderun.seccompCustomProfile" -}}
{{- $given := .Values.seccompInstaller.profile }}
{{- if $given }}
{{- $text := "" }}
{{- $profile := dict }}
{{- if kindIs "string" $given }}
{{- $text = $given }}
{{- $profile = fromJson $given }}
{{- if hasKey $profile "Error" }}
{{- fail (printf "seccompInstaller.profile is not a JSON object: %s" (get $profile "Error")) }}
{{- end }}
{{- else }}
{{- $text = toPrettyJson $given }}
{{- $profile = $given }}
{{- end }}
{{- $actions := list "SCMP_ACT_ALLOW" "SCMP_ACT_ERRNO" "SCMP_ACT_KILL" "SCMP_ACT_TRAP" "SCMP_ACT_TRACE" }}
{{- $default := get $profile "defaultAction" }}
{{- if not $default }}
{{- fail "seccompInstaller.profile has no defaultAction (e.g. \"SCMP_ACT_ERRNO\" for an allow-list): runsc refuses a profile without one" }}
{{- end }}
{{- if not (has $default $actions) }}
{{- fail (printf "seccompInstaller.profile: defaultAction %v is not one gVisor accepts (%s)" $default (join ", " $actions)) }}
{{- end }}
{{- $rules := get $profile "syscalls" | default list }}
{{- if not (kindIs "slice" $rules) }}
{{- fail "seccompInstaller.profile: syscalls must be a list of rules" }}
{{- end }}
{{- $clone3 := "" }}
{{- range $i, $rule := $rules }}
{{- if not (kindIs "map" $rule) }}
{{- fail (printf "seccompInstaller.profile: syscalls[%d] is not an object" $i) }}
{{- end }}
{{- $names := get $rule "names" | default list }}
{{- if or (not (kindIs "slice" $names)) (not $names) }}
{{- fail (printf "seccompInstaller.profile: syscalls[%d] needs names, a non-empty list of system calls" $i) }}
{{- end }}
{{- if not (has (get $rule "action") $actions) }}
{{- fail (printf "seccompInstaller.profile: syscalls[%d] (%s) has action %v, not one gVisor accepts (%s)" $i (join "," $names) (get $rule "action") (join ", " $actions)) }}
{{- end }}
{{- if and (not $clone3) (has "clone3" $names) }}
{{- $clone3 = get $rule "action" }}
{{- end }}
{{- end }}
{{- /* runsc uses the first rule that matches a call; no rule for it leaves it to defaultAction. */}}
{{- if ne (default $default $clone3) "SCMP_ACT_ALLOW" }}
{{- fail "seccompInstaller.profile must allow clone3: gVisor answers a denied call with EPERM whatever errnoRet says, and glibc falls back to clone only on ENOSYS, so no thread could start (add {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ALLOW\"})" }}
{{- end }}
{{- /* As the ConfigMap's block scalar keeps it: one final newline, so the hash is of the file itself. */}}
{{- printf "%s\n" (trim $text) }}
{{- end }}
{{- end }}

{{/*
The Localhost profile of sandbox Pods (CODERUN_SECCOMP_PROFILE), relative to <kubeletRootDir>/seccomp.
The shipped profile is sandbox.seccompProfile itself; a custom one is a file next to it whose name carries
a hash of the profile (or of the ConfigMap name and key), so a changed profile changes the sandbox Pod
template: idle warm-pool Pods built with the old one are replaced instead of serving runs with it.
*/}}
{{- define "coderun.seccompProfilePath" -}}
{{- $path := .Values.sandbox.seccompProfile }}
{{- $inst := .Values.seccompInstaller }}
{{- $id := "" }}
{{- if and $inst.enabled $path }}
{{- if $inst.existingConfigMap.name }}
{{- $id = printf "%s/%s" $inst.existingConfigMap.name $inst.existingConfigMap.key | sha256sum | trunc 12 }}
{{- else if $inst.profile }}
{{- $id = include "coderun.seccompCustomProfile" . | sha256sum | trunc 12 }}
{{- end }}
{{- end }}
{{- if $id }}
{{- printf "%s-%s.json" (trimSuffix (ext $path) $path) $id }}
{{- else }}
{{- $path }}
{{- end }}
{{- end }}

{{/*
Where the seccomp profile goes: sandbox.seccompProfile is relative to <kubeletRootDir>/seccomp, so its
directory part is the host directory the installer mounts and its base name is the file.
*/}}
{{- define "coderun.seccompHostDir" -}}
{{- $rel := dir .Values.sandbox.seccompProfile }}
{{- if eq $rel "." }}
{{- printf "%s/seccomp" (trimSuffix "/" .Values.seccompInstaller.kubeletRootDir) }}
{{- else }}
{{- printf "%s/seccomp/%s" (trimSuffix "/" .Values.seccompInstaller.kubeletRootDir) $rel }}
{{- end }}
{{- end }}

{{/*
Settings the chart cannot express in its schema; each failure names the values involved.
*/}}
{{- define "coderun.validate" -}}
{{- if and (gt (int .Values.controller.replicas) 1) (not .Values.controller.leaderElection.enabled) }}
{{- fail "controller.replicas > 1 needs controller.leaderElection.enabled=true: replicas without a Lease would all reconcile the same runs" }}
{{- end }}
{{- if and .Values.sandbox.createNamespace (eq .Values.sandbox.namespace .Release.Namespace) }}
{{- fail (printf "sandbox.namespace %q is the release namespace, which exists already: set sandbox.createNamespace=false, or pick another sandbox namespace" .Values.sandbox.namespace) }}
{{- end }}
{{- if and .Values.runtimeClass.create (not .Values.sandbox.runtimeClassName) }}
{{- fail "runtimeClass.create=true needs sandbox.runtimeClassName (the RuntimeClass name)" }}
{{- end }}
{{- $inst := .Values.seccompInstaller }}
{{- if or $inst.profile $inst.existingConfigMap.name }}
{{- if and $inst.profile $inst.existingConfigMap.name }}
{{- fail "seccompInstaller.profile and seccompInstaller.existingConfigMap.name both name a custom seccomp profile: set one of them" }}
{{- end }}
{{- if not $inst.enabled }}
{{- fail "a custom seccomp profile (seccompInstaller.profile or .existingConfigMap.name) needs seccompInstaller.enabled=true: the installer is what puts it on the nodes" }}
{{- end }}
{{- if not .Values.sandbox.seccompProfile }}
{{- fail "a custom seccomp profile (seccompInstaller.profile or .existingConfigMap.name) needs sandbox.seccompProfile, the path next to which it is installed; empty means RuntimeDefault" }}
{{- end }}
{{- if and $inst.existingConfigMap.name (not $inst.existingConfigMap.key) }}
{{- fail "seccompInstaller.existingConfigMap.key is empty: name the key that holds the profile" }}
{{- end }}
{{- end }}
{{- if gt (int .Values.sandbox.timeoutSeconds) (int .Values.sandbox.maxTimeoutSeconds) }}
{{- fail (printf "sandbox.timeoutSeconds (%d) exceeds sandbox.maxTimeoutSeconds (%d)" (int .Values.sandbox.timeoutSeconds) (int .Values.sandbox.maxTimeoutSeconds)) }}
{{- end }}
{{- range $lang, $image := .Values.sandbox.images }}
{{- if hasSuffix ":latest" $image }}
{{- fail (printf "sandbox.images.%s: pin a version instead of %q (a moving tag makes nodes run different sandboxes)" $lang $image) }}
{{- end }}
{{- end }}
{{- if gt (int .Values.controller.leaderElection.renewDeadlineSeconds) (int .Values.controller.leaderElection.leaseDurationSeconds) }}
{{- fail "controller.leaderElection.renewDeadlineSeconds must not exceed leaseDurationSeconds" }}
{{- end }}
{{- if and .Values.selfTest.requireForApiReadiness (not .Values.selfTest.enabled) }}
{{- fail "selfTest.requireForApiReadiness=true needs selfTest.enabled=true: no result would ever be published and the API would never be ready" }}
{{- end }}
{{- end }}

{{/*
One container of the seccomp installer: include with (list $ "install") or (list $ "keep").
It runs as root because the kubelet's seccomp directory belongs to root, and with nothing else: no
capabilities (owner permissions suffice), read-only root filesystem, no privilege escalation.
*/}}
{{- define "coderun.seccompInstallerContainer" -}}
{{- $root := index . 0 }}
{{- $mode := index . 1 -}}
image: {{ include "coderun.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
command:
  - node
  - -e
  - |
    const fs = require('node:fs');
    const source = '/profile/' + process.env.PROFILE_FILE;
    const target = '/host/' + process.env.PROFILE_FILE;
    const log = (msg, extra) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, target, ...extra }));
    // A broken profile would stop every sandbox Pod from starting: refuse it here instead. The source is
    // read again at every check, so an edited ConfigMap (existingConfigMap) reaches the node.
    const wanted = () => {
      const text = fs.readFileSync(source);
      const profile = JSON.parse(text);
      if (typeof profile?.defaultAction !== 'string') throw new Error(`${source} has no defaultAction`);
      return text;
    };
    const install = (text) => {
      let present = null;
      try { present = fs.readFileSync(target); } catch {}
      if (present && present.equals(text)) return false;
      const temporary = `${target}.tmp-${process.pid}`;
      fs.writeFileSync(temporary, text, { mode: 0o644 });
      fs.renameSync(temporary, target);
      return true;
    };
    log(install(wanted()) ? 'seccomp profile installed' : 'seccomp profile up to date');
    if (process.env.MODE === 'keep') {
      process.on('SIGTERM', () => process.exit(0));
      setInterval(() => {
        let text;
        try { text = wanted(); } catch (err) {
          return log('seccomp profile source unreadable: the installed one is kept', { error: String(err) });
        }
        if (install(text)) log('seccomp profile was changed or removed: reinstalled');
      }, Number(process.env.CHECK_INTERVAL_SECONDS) * 1000);
    }
env:
  - name: MODE
    value: {{ $mode }}
  - name: PROFILE_FILE
    value: {{ include "coderun.seccompProfilePath" $root | base | quote }}
  - name: CHECK_INTERVAL_SECONDS
    value: {{ include "coderun.envString" $root.Values.seccompInstaller.checkIntervalSeconds | quote }}
resources:
  {{- toYaml $root.Values.seccompInstaller.resources | nindent 2 }}
securityContext:
  runAsUser: 0
  runAsGroup: 0
  runAsNonRoot: false
  allowPrivilegeEscalation: false
  privileged: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
volumeMounts:
  - name: profile
    mountPath: /profile
    readOnly: true
  - name: host-seccomp
    mountPath: /host
{{- end }}
