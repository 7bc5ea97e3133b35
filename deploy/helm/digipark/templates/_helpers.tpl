{{- define "digipark.labels" -}}
app.kubernetes.io/name: digipark
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{- define "digipark.env" -}}
envFrom:
  - configMapRef:
      name: {{ .Release.Name }}-digipark
  - secretRef:
      name: {{ .Release.Name }}-digipark
{{- end -}}
