// The console's screens. Every route but sign-in needs a session; the landing screen depends on
// the role (an official lands on the cockpit, an auditor on the audit log, staff on the cases).
import { createRouter, createWebHistory } from 'vue-router'
import { session, loadSession } from './session.js'
import { may } from '../shared/api.js'

const routes = [
  { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./views/Layout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => landing() },
      { path: 'cockpit/:id?', name: 'cockpit', component: () => import('./views/Cockpit.vue') },
      { path: 'cases', name: 'cases', component: () => import('./views/Cases.vue') },
      { path: 'cases/:id', name: 'case', component: () => import('./views/CaseDetail.vue') },
      { path: 'org/:id?', name: 'org', component: () => import('./views/OrgMap.vue') },
      { path: 'residents', name: 'residents', component: () => import('./views/Residents.vue') },
      { path: 'import', name: 'import', component: () => import('./views/Import.vue') },
      { path: 'visits', name: 'visits', component: () => import('./views/Visits.vue') },
      { path: 'council', name: 'council', component: () => import('./views/Council.vue') },
      { path: 'categories', name: 'categories', component: () => import('./views/Categories.vue') },
      { path: 'audit', name: 'audit', component: () => import('./views/Audit.vue') },
      { path: 'users', name: 'users', component: () => import('./views/Users.vue') },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
]

export function landing() {
  const u = session.user
  if (!u) return '/login'
  const roles = new Set((u.assignments || []).map((a) => a.role))
  if (roles.has('subdistrict_official') || roles.has('district_official')) return '/cockpit'
  if (roles.has('audit_admin')) return '/audit'
  if (roles.has('system_admin') || roles.has('security_admin')) return '/users'
  if (may(u, 'case.read') || may(u, 'case.handle')) return '/cases'
  if (may(u, 'resident.read')) return '/residents'
  return '/org'
}

export const router = createRouter({ history: createWebHistory('/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.loaded) await loadSession()
  if (!session.user) return { path: '/login', query: { next: to.fullPath } }
  return true
})
