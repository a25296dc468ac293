// Names of residents' tags for display: the standard ones and the community's own come from the
// server (GET /org/nodes/{id}/tags, once per node); derived ones (elderly, child) from the messages.
import { ref } from 'vue'
import { api } from '../shared/api.js'
import { i18n } from '../shared/i18n.js'

const labels = ref({})
const loaded = new Set()

export async function loadTags(nodeId) {
  if (!nodeId || loaded.has(nodeId)) return tagOptions()
  loaded.add(nodeId)
  try {
    const r = await api.get(`/api/v1/org/nodes/${nodeId}/tags`)
    const next = { ...labels.value }
    for (const s of r.standard || []) next[s.code] = s.label
    for (const c of r.custom || []) next[c.tag] = c.label
    labels.value = next
  } catch { /* names fall back to codes */ }
  return tagOptions()
}

// What a tag code is called: "living_alone" → 独居, "custom:志愿者" → 志愿者.
export function tagLabel(code) {
  const key = `tags.${code}`
  if (i18n.global.te(key)) return i18n.global.t(key)
  if (labels.value[code]) return labels.value[code]
  return code.startsWith('custom:') ? code.slice(7) : code
}

export function tagOptions() {
  return Object.keys(labels.value).map((code) => ({ code, label: tagLabel(code) }))
}
