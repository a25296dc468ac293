// The staff console and the cockpit (desktop). Element Plus components, Leaflet maps, ECharts.
import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'
import 'leaflet/dist/leaflet.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from '../shared/i18n.js'
import './console.css'

createApp(App).use(i18n).use(router).use(ElementPlus).mount('#app')
