// Routes of the mobile H5, under /h5/. The resident's pages need no account and load nothing of
// the worker's; the worker's pages need a session.
import { createRouter, createWebHistory } from 'vue-router'
import { currentUser } from '../shared/api.js'

const routes = [
  { path: '/', redirect: '/report' },
  { path: '/report', component: () => import('./views/ResidentReport.vue'), meta: { public: true } },
  { path: '/track/:code?', component: () => import('./views/Track.vue'), meta: { public: true } },
  { path: '/login', component: () => import('./views/WorkerLogin.vue'), meta: { public: true } },
  { path: '/tasks', component: () => import('./views/Tasks.vue') },
  { path: '/case/:id', component: () => import('./views/HandleCase.vue') },
  { path: '/clue', component: () => import('./views/WorkerReport.vue') },
  { path: '/scan', component: () => import('./views/Scan.vue') },
  { path: '/building/:code', component: () => import('./views/Building.vue') },
  { path: '/household/:id', component: () => import('./views/Visit.vue') },
  { path: '/:rest(.*)*', redirect: '/report' },
]

export const worker = { user: null }
export const router = createRouter({ history: createWebHistory('/h5/'), routes })
router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!worker.user) worker.user = await currentUser()
  return worker.user ? true : { path: '/login', query: { next: to.fullPath } }
})
