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
