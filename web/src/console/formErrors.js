// The server's refusal of a form, shown where it belongs: beside the field it names when the form
// shows that field, otherwise once above the buttons — so no refusal goes unseen.
import { ref, computed } from 'vue'

// `shown()` lists the fields the form shows now (it may depend on the form's state).
export function useFieldErrors(shown) {
  const error = ref(null)
  const of = (field) => (error.value && error.value.field === field ? error.value.message : '')
  const general = computed(() => (error.value && !shown().includes(error.value.field) ? error.value.message : ''))
  return { error, of, general }
}
