// Who is signed in, shared by the console's screens.
import { reactive } from 'vue'
import { currentUser } from '../shared/api.js'

export const session = reactive({ user: null, loaded: false })

export async function loadSession() {
  session.user = await currentUser()
  session.loaded = true
  return session.user
}

// The node a user works at: the highest node among their assignments (home node otherwise).
export function homeNode(user = session.user) {
  const list = (user && user.assignments) || []
  if (!list.length) return user ? user.home_node_id : null
  return [...list].sort((a, b) => a.node_path.length - b.node_path.length)[0].node_id
}

// The nodes a user oversees that lie under no other of theirs: more than one (officials granted
// at several subdistricts or districts) opens the cockpit on the whole region.
export function topNodes(user = session.user) {
  const paths = [...new Set(((user && user.assignments) || []).map((a) => a.node_path))].sort()
  const tops = []
  for (const p of paths) if (!tops.some((t) => p.startsWith(t))) tops.push(p)
  return tops
}
