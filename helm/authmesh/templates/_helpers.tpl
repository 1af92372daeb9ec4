{{/*
Names, labels and the per-service environment. The environment mirrors what
authmesh_kit.stack.plan.Plan.env gives each process of a local stack: the same variables, with
cluster addresses instead of loopback ports.
*/}}

{{- define "authmesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "authmesh.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "authmesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Every service, in the order of authmesh_kit.settings.SERVICE_NAMES. */}}
{{- define "authmesh.serviceNames" -}}
identity session mfa org audit risk notify gateway
{{- end }}

{{/* Services that own a Postgres schema; they are also the ones other processes call. */}}
{{- define "authmesh.databaseServices" -}}
identity session mfa org audit risk
{{- end }}

{{- define "authmesh.commonLabels" -}}
helm.sh/chart: {{ include "authmesh.chart" . }}
app.kubernetes.io/name: {{ include "authmesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: authmesh
{{- end }}

{{/* (dict "root" $ "component" "identity") */}}
{{- define "authmesh.labels" -}}
{{ include "authmesh.commonLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "authmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "authmesh.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "authmesh.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* A service's settings: serviceDefaults overridden by services.<name>, as YAML. */}}
{{- define "authmesh.serviceValues" -}}
{{- $own := index .root.Values.services .name | default dict }}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.serviceDefaults) (deepCopy $own)) }}
{{- end }}

{{- define "authmesh.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "authmesh.fullname" .) }}
{{- end }}

{{/* The Secret the hook Jobs read: the chart's hook Secret, or the existing one. */}}
{{- define "authmesh.hookSecretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-hooks" (include "authmesh.fullname" .)) }}
{{- end }}

{{- define "authmesh.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create }}
{{- printf "%s-%s" (include "authmesh.fullname" .root) .component }}
{{- else }}
{{- "default" }}
{{- end }}
{{- end }}

{{/* Where a gRPC service is reached: its Service's cluster name and port. */}}
{{- define "authmesh.addr" -}}
{{- printf "%s-%s.%s.svc:%v" (include "authmesh.fullname" .root) .name .root.Release.Namespace .root.Values.ports.grpc }}
{{- end }}

{{/* The Postgres role of a service, as authmesh_kit.bootstrap.role_name makes it. */}}
{{- define "authmesh.databaseRole" -}}
{{- printf "%s_%s" .root.Values.authmesh.namespace .name }}
{{- end }}

{{/* A service's database URL; $(DATABASE_PASSWORD) is expanded by Kubernetes from the env. */}}
{{- define "authmesh.databaseUrl" -}}
{{- $pg := .root.Values.postgres }}
{{- $url := printf "postgresql://%s:$(DATABASE_PASSWORD)@%s:%v/%s" (include "authmesh.databaseRole" .) $pg.host $pg.port $pg.database }}
{{- if $pg.params }}{{ printf "%s?%s" $url $pg.params }}{{ else }}{{ $url }}{{ end }}
{{- end }}

{{/* NATS URL of a user: $(NATS_PASSWORD) is expanded by Kubernetes from the env. */}}
{{- define "authmesh.natsUrl" -}}
{{- if .root.Values.nats.auth }}
{{- regexReplaceAll "^([a-z]+://)" .root.Values.nats.url (printf "${1}%s:$(NATS_PASSWORD)@" .user) }}
{{- else }}
{{- .root.Values.nats.url }}
{{- end }}
{{- end }}

{{- define "authmesh.redisUrl" -}}
{{- if .Values.redis.auth }}
{{- regexReplaceAll "^([a-z]+://)" .Values.redis.url "${1}:$(REDIS_PASSWORD)@" }}
{{- else }}
{{- .Values.redis.url }}
{{- end }}
{{- end }}

{{- define "authmesh.secretRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ .name }}
    key: {{ .key }}
    {{- if .optional }}
    optional: true
    {{- end }}
{{- end }}

{{/* Secret settings a service reads, beyond those every service gets (optional keys). */}}
{{- define "authmesh.secretSettings" -}}
{{- if eq . "notify" }}AUTHMESH_SMTP_PASSWORD AUTHMESH_TWILIO_AUTH_TOKEN{{ end }}
{{- if eq . "identity" }}AUTHMESH_ADMIN_PASSWORD{{ end }}
{{- if eq . "audit" }}AUTHMESH_AUDIT_WEBHOOK_SECRET{{ end }}
{{- end }}

{{/*
The environment of service .name's containers (after the common ConfigMap, which they take
with envFrom). Variables a later one refers to as $(NAME) come first.
*/}}
{{- define "authmesh.serviceEnv" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $secret := include "authmesh.secretName" $root }}
{{- $svc := include "authmesh.serviceValues" . | fromYaml }}
{{- $databaseServices := splitList " " (include "authmesh.databaseServices" $root) }}
- name: AUTHMESH_ENCRYPTION_KEYS
  {{- include "authmesh.secretRef" (dict "name" $secret "key" "AUTHMESH_ENCRYPTION_KEYS") | nindent 2 }}
- name: AUTHMESH_SERVICE_KEY
  {{- include "authmesh.secretRef" (dict "name" $secret "key" (printf "service-key-%s" $name)) | nindent 2 }}
{{- if $root.Values.serviceAuth.publicKeysFromSecret }}
- name: AUTHMESH_SERVICE_PUBLIC_KEYS
  {{- include "authmesh.secretRef" (dict "name" $secret "key" "AUTHMESH_SERVICE_PUBLIC_KEYS") | nindent 2 }}
{{- end }}
{{- if $root.Values.nats.auth }}
- name: NATS_PASSWORD
  {{- include "authmesh.secretRef" (dict "name" $secret "key" (printf "nats-password-%s" $name)) | nindent 2 }}
{{- end }}
- name: AUTHMESH_NATS_URL
  value: {{ include "authmesh.natsUrl" (dict "root" $root "user" $name) | quote }}
{{- if $root.Values.redis.auth }}
- name: REDIS_PASSWORD
  {{- include "authmesh.secretRef" (dict "name" $secret "key" "redis-password") | nindent 2 }}
{{- end }}
- name: AUTHMESH_REDIS_URL
  value: {{ include "authmesh.redisUrl" $root | quote }}
{{- if has $name $databaseServices }}
- name: DATABASE_PASSWORD
  {{- include "authmesh.secretRef" (dict "name" $secret "key" (printf "database-password-%s" $name)) | nindent 2 }}
- name: AUTHMESH_{{ upper $name }}_DATABASE_URL
  value: {{ include "authmesh.databaseUrl" (dict "root" $root "name" $name) | quote }}
{{- end }}
{{- if ne $name "gateway" }}
- name: AUTHMESH_GRPC_LISTEN
  value: {{ printf "0.0.0.0:%v" $root.Values.ports.grpc | quote }}
{{- end }}
{{- if eq $name "gateway" }}
- name: AUTHMESH_SECRETS
  {{- include "authmesh.secretRef" (dict "name" $secret "key" "AUTHMESH_SECRETS") | nindent 2 }}
- name: AUTHMESH_GATEWAY_HOST
  value: "0.0.0.0"
- name: AUTHMESH_GATEWAY_PORT
  value: {{ $root.Values.ports.http | quote }}
{{- end }}
{{- /* Known secret settings reach only the service that reads them; others reach all. */}}
{{- range $key := splitList " " (include "authmesh.secretSettings" $name) | compact }}
- name: {{ $key }}
  {{- include "authmesh.secretRef" (dict "name" $secret "key" $key "optional" (not (hasKey $root.Values.secrets.extra $key))) | nindent 2 }}
{{- end }}
{{- $known := list }}
{{- range $service := splitList " " (include "authmesh.serviceNames" $root) }}
{{- $known = concat $known (splitList " " (include "authmesh.secretSettings" $service) | compact) }}
{{- end }}
{{- range $key := keys $root.Values.secrets.extra | sortAlpha }}
{{- if not (has $key $known) }}
- name: {{ $key }}
  {{- include "authmesh.secretRef" (dict "name" $secret "key" $key) | nindent 2 }}
{{- end }}
{{- end }}
{{- range $key, $value := $svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* Checks that JSON schema cannot express; each fails the render with what to change. */}}
{{- define "authmesh.validate" -}}
{{- $v := .Values }}
{{- if not $v.authmesh.baseUrl }}
{{- fail "authmesh.baseUrl is required: the public URL of the gateway, e.g. https://auth.example.com" }}
{{- end }}
{{- if and $v.ingress.enabled (not $v.authmesh.trustedProxies) }}
{{- fail "ingress.enabled needs authmesh.trustedProxies (the ingress controller's pod addresses or CIDRs): without them the gateway sees every client as the controller, and rate limits and audit records lose the client's address" }}
{{- end }}
{{- range $key := list "AUTHMESH_MODE" "AUTHMESH_NAMESPACE" "AUTHMESH_BASE_URL" "AUTHMESH_TRUSTED_ORIGINS" "AUTHMESH_TRUSTED_PROXIES" "AUTHMESH_LOG_LEVEL" "AUTHMESH_METRICS_PORT" "AUTHMESH_GRPC_LISTEN" "AUTHMESH_NATS_URL" "AUTHMESH_REDIS_URL" "AUTHMESH_SERVICE_KEY" "AUTHMESH_SERVICE_PUBLIC_KEYS" "AUTHMESH_SECRET" "AUTHMESH_SECRETS" "AUTHMESH_ENCRYPTION_KEYS" "AUTHMESH_DATABASE_URL" "AUTHMESH_GATEWAY_HOST" "AUTHMESH_GATEWAY_PORT" "AUTHMESH_OTLP_ENDPOINT" "AUTHMESH_TRACE_SAMPLE_RATIO" }}
{{- if hasKey $v.authmesh.config $key }}
{{- fail (printf "authmesh.config.%s: this variable is set by the chart from its own values (see values.yaml), not from authmesh.config" $key) }}
{{- end }}
{{- end }}
{{- range $key := keys $v.authmesh.config }}
{{- if or (hasSuffix "_DATABASE_URL" $key) (hasSuffix "_ADDR" $key) }}
{{- fail (printf "authmesh.config.%s: database URLs and service addresses are set by the chart" $key) }}
{{- end }}
{{- if has $key (list "AUTHMESH_SMTP_PASSWORD" "AUTHMESH_TWILIO_AUTH_TOKEN" "AUTHMESH_ADMIN_PASSWORD" "AUTHMESH_AUDIT_WEBHOOK_SECRET") }}
{{- fail (printf "authmesh.config.%s is a secret: put it in secrets.extra (or the existing Secret)" $key) }}
{{- end }}
{{- end }}
{{- if eq $v.authmesh.mode "production" }}
{{- $notify := include "authmesh.serviceValues" (dict "root" $ "name" "notify") | fromYaml }}
{{- if and (not (hasKey $v.authmesh.config "AUTHMESH_SMTP_HOST")) (not (hasKey ($notify.env | default dict) "AUTHMESH_SMTP_HOST")) }}
{{- fail "authmesh.mode production needs an SMTP server: set authmesh.config.AUTHMESH_SMTP_HOST (and _PORT, _SECURITY, _FROM, _USER; the password in secrets.extra)" }}
{{- end }}
{{- end }}
{{- $databaseServices := splitList " " (include "authmesh.databaseServices" .) }}
{{- range $name := splitList " " (include "authmesh.serviceNames" .) }}
{{- $svc := include "authmesh.serviceValues" (dict "root" $ "name" $name) | fromYaml }}
{{- if and (not $v.serviceAuth.publicKeysFromSecret) (not (hasKey $v.serviceAuth.publicKeys $name)) }}
{{- fail (printf "serviceAuth.publicKeys.%s is required: every service's Ed25519 public key (scripts/helm_secrets.py makes a set)" $name) }}
{{- end }}
{{- if $svc.podDisruptionBudget.enabled }}
{{- $least := $svc.replicaCount }}
{{- if $svc.autoscaling.enabled }}{{ $least = $svc.autoscaling.minReplicas }}{{ end }}
{{- if le (int $least) (int $svc.podDisruptionBudget.minAvailable) }}
{{- fail (printf "services.%s: %d replicas with podDisruptionBudget.minAvailable %d would block every node drain; run more replicas (replicaCount, or autoscaling.minReplicas) than minAvailable" $name (int $least) (int $svc.podDisruptionBudget.minAvailable)) }}
{{- end }}
{{- end }}
{{- if and $svc.autoscaling.enabled (lt (int $svc.autoscaling.maxReplicas) (int $svc.autoscaling.minReplicas)) }}
{{- fail (printf "services.%s.autoscaling: maxReplicas is below minReplicas" $name) }}
{{- end }}
{{- range $caller := ($svc.callers | default list) }}
{{- if not (has $caller (splitList " " (include "authmesh.serviceNames" $))) }}
{{- fail (printf "services.%s.callers: %q is not an Authmesh service" $name $caller) }}
{{- end }}
{{- end }}
{{- if not $v.secrets.existingSecret }}
{{- if not (index $v.secrets.serviceKeys $name) }}
{{- fail (printf "secrets.serviceKeys.%s is required (or secrets.existingSecret): the service's Ed25519 private key" $name) }}
{{- end }}
{{- if and $v.nats.auth (not (index $v.secrets.natsPasswords $name)) }}
{{- fail (printf "secrets.natsPasswords.%s is required with nats.auth (or secrets.existingSecret)" $name) }}
{{- end }}
{{- if and (has $name $databaseServices) (not (index $v.secrets.databasePasswords $name)) }}
{{- fail (printf "secrets.databasePasswords.%s is required (or secrets.existingSecret): the password of role %s" $name (include "authmesh.databaseRole" (dict "root" $ "name" $name))) }}
{{- end }}
{{- end }}
{{- end }}
{{- if not $v.secrets.existingSecret }}
{{- if not $v.secrets.cookieSecrets }}
{{- fail "secrets.cookieSecrets is required (or secrets.existingSecret): AUTHMESH_SECRETS, e.g. v1:<at least 32 random characters>" }}
{{- end }}
{{- if not $v.secrets.encryptionKeys }}
{{- fail "secrets.encryptionKeys is required (or secrets.existingSecret): AUTHMESH_ENCRYPTION_KEYS, kid:base64 of 32 random bytes" }}
{{- end }}
{{- if and $v.bootstrap.enabled (not $v.secrets.databaseAdminUrl) }}
{{- fail "secrets.databaseAdminUrl is required with bootstrap.enabled (or secrets.existingSecret): the privileged PostgreSQL URL that creates the service roles" }}
{{- end }}
{{- if and $v.bootstrap.enabled $v.nats.auth (not (index $v.secrets.natsPasswords $v.nats.adminUser)) }}
{{- fail (printf "secrets.natsPasswords.%s is required with bootstrap.enabled and nats.auth: the NATS user that creates the streams" $v.nats.adminUser) }}
{{- end }}
{{- if and $v.redis.auth (not $v.secrets.redisPassword) }}
{{- fail "secrets.redisPassword is required with redis.auth (or secrets.existingSecret)" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod's volumes and the container's mounts: a writable /tmp, the rest read-only. */}}
{{- define "authmesh.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end }}

{{- define "authmesh.podSecurity" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Everything the config and secrets of a pod are made of: a change rolls the pods. */}}
{{- define "authmesh.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}

{{/* checkov findings on workloads that are decisions, each with its reason (scripts/helm_check.py). */}}
{{- define "authmesh.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_35=Authmesh reads its settings, secrets included, from AUTHMESH_* variables (pydantic-settings); nothing else runs in the container
checkov.io/skip2: CKV_K8S_15=image.pullPolicy is the operator's; pinned images (image.digest) make IfNotPresent exact
{{- if not .Values.image.digest }}
checkov.io/skip3: CKV_K8S_43=image.digest is empty, so the operator chose the tag image.tag; set image.digest to pin the exact image
{{- end }}
{{- end }}
