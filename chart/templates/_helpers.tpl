{{/*
Object names are fixed (the seed guide and the verify script use them), so one release per
namespace. Labels follow the app.kubernetes.io convention; api and worker pods also carry
app=ci-fixer for the seed's `kubectl get pods -l app=ci-fixer`.
*/}}

{{- define "ci-fixer.chart" -}}
{{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels; pass (dict "ctx" $ "component" "api"). */}}
{{- define "ci-fixer.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Common labels; pass (dict "ctx" $ "component" "api"). */}}
{{- define "ci-fixer.labels" -}}
helm.sh/chart: {{ include "ci-fixer.chart" .ctx }}
{{ include "ci-fixer.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: ci-fixer
{{- end }}

{{/* "true" when sandboxes run in a namespace other than the release namespace. */}}
{{- define "ci-fixer.sandboxDedicated" -}}
{{- if .Values.sandbox.namespace.dedicated }}true{{ end }}
{{- end }}

{{- define "ci-fixer.sandboxNamespace" -}}
{{- if .Values.sandbox.namespace.dedicated -}}
{{- $name := .Values.sandbox.namespace.name | default (printf "%s-sandbox" .Release.Namespace) -}}
{{- if gt (len $name) 63 -}}
{{- fail (printf "sandbox.namespace.name: %q is longer than 63 characters; set sandbox.namespace.name" $name) -}}
{{- end -}}
{{- if eq $name .Release.Namespace -}}
{{- fail "sandbox.namespace.name equals the release namespace; set sandbox.namespace.dedicated=false instead" -}}
{{- end -}}
{{- $name -}}
{{- else -}}
{{- .Release.Namespace -}}
{{- end -}}
{{- end }}

{{- define "ci-fixer.secretName" -}}
{{- .Values.secret.existingSecret | default "ci-fixer-secrets" -}}
{{- end }}

{{- define "ci-fixer.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end }}

{{/* Pod Security "restricted" at pod level; uid 1000 is the image's numeric non-root user. */}}
{{- define "ci-fixer.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "ci-fixer.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "ci-fixer.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.hostAliases }}
hostAliases:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* CPU quantity ("500m", "1", "1.5") in millicores. The schema restricts the forms. */}}
{{- define "ci-fixer.cpuMillis" -}}
{{- $q := toString . -}}
{{- if hasSuffix "m" $q -}}{{ trimSuffix "m" $q | int }}{{- else -}}{{ mulf (float64 $q) 1000 | int }}{{- end -}}
{{- end }}

{{/* Memory quantity ("256Mi", "2Gi") in Mi. The schema restricts the forms. */}}
{{- define "ci-fixer.memoryMi" -}}
{{- $q := toString . -}}
{{- if hasSuffix "Gi" $q -}}{{ mul (trimSuffix "Gi" $q | int) 1024 }}{{- else -}}{{ trimSuffix "Mi" $q | int }}{{- end -}}
{{- end }}

{{/* Environment of the api or worker container: the ConfigMap, and from the Secret only the keys
that component uses (the api never sees the App key or the clone token; the worker never sees the
API tokens). Call with (dict "ctx" . "component" "api"|"worker"). */}}
{{- define "ci-fixer.env" -}}
{{- $ := .ctx -}}
{{- $keys := ternary (list "API_TOKENS" "GITHUB_WEBHOOK_SECRETS" "GITHUB_APP_ID") (list "GIT_TOKEN" "GITHUB_APP_ID" "GITHUB_APP_PRIVATE_KEY" "GITHUB_PERSONAL_TOKEN" "LLM_API_KEY") (eq .component "api") -}}
envFrom:
  - configMapRef:
      name: ci-fixer-config
env:
  {{- range $keys }}
  - name: {{ . }}
    valueFrom:
      secretKeyRef:
        name: {{ include "ci-fixer.secretName" $ }}
        key: {{ . }}
        optional: {{ ne . "API_TOKENS" }}
  {{- end }}
  {{- if $.Values.redis.bundled.enabled }}
  - name: REDIS_PASSWORD
    valueFrom:
      secretKeyRef:
        name: {{ include "ci-fixer.secretName" $ }}
        key: REDIS_PASSWORD
  # Kubernetes expands $(REDIS_PASSWORD) from the variable above, so REDIS_URL carries it.
  - name: REDIS_URL
    value: "redis://:$(REDIS_PASSWORD)@ci-fixer-redis:6379"
  {{- else }}
  - name: REDIS_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "ci-fixer.secretName" $ }}
        key: REDIS_URL
  {{- end }}
  {{- if and (ne .component "api") $.Values.git.caBundle }}
  # git.caBundle, mounted from the ConfigMap ci-fixer-git-ca by the worker alone.
  - name: GIT_CA_FILE
    value: /etc/ci-fixer/git-ca/ca.pem
  {{- end }}
  # The pod's own namespace: where sandboxes run unless the ConfigMap names a dedicated one
  # (SANDBOX_NAMESPACE). The same in both layouts, so a Helm install that adopts the objects of
  # the plain manifests (k8s/) leaves no stale variable behind.
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
{{- end }}

{{/* Rolls the pods when the configuration they read changes. The Secret's checksum is over the
values, not the rendered Secret, so a generated API token does not roll pods on every upgrade. */}}
{{- define "ci-fixer.configChecksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secret.existingSecret }}
checksum/secret: {{ toYaml .Values.secret | sha256sum }}
{{- end }}
{{- end }}

{{/* Rolls the bundled Redis when its password changes (it reads REDIS_PASSWORD only at start, so
a new password in the Secret would otherwise lock out the api and worker pods, which roll on
checksum/secret). Over the password value alone: rotating another credential must not restart
Redis, whose data is lost on restart without persistence. A generated password is kept across
upgrades, so "" stays "". Nothing with secret.existingSecret: the chart cannot see that Secret. */}}
{{- define "ci-fixer.redisPasswordChecksum" -}}
{{- if not .Values.secret.existingSecret -}}
checksum/redis-password: {{ .Values.secret.redisPassword | sha256sum }}
{{- end -}}
{{- end }}
