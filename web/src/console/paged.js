// One keyset-paged list as the screens show it: the first page, "load more", and the loading and
// error states. `fetchPage(cursor)` returns {items, next} (cursor undefined for the first page).
import { ref } from 'vue'

export function usePaged(fetchPage) {
  const items = ref([])
  const next = ref(null)
  const loading = ref(false)
  const error = ref(null)

  async function load(cursor) {
    loading.value = true
    error.value = null
    try {
      const page = await fetchPage(cursor)
      items.value = cursor === undefined ? page.items : [...items.value, ...page.items]
      next.value = page.next ?? null
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
  }
  return { items, next, loading, error, reload: () => load(undefined), more: () => load(next.value) }
}
