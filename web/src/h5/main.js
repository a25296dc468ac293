// The mobile H5 (phone-sized): residents report and follow requests without an account (from a
// grid's QR code); grid workers sign in for their tasks. Only the Vant components used are bundled.
import { createApp } from 'vue'
import {
  Button, Cell, CellGroup, Field, Form, NavBar, Picker, Popup, Rate, Tag, Uploader, Toast, Empty, Loading,
  Steps, Step, Tabbar, TabbarItem, Dialog, CountDown, ActionSheet, NoticeBar, Radio, RadioGroup, Checkbox, CheckboxGroup,
} from 'vant'
import 'vant/lib/index.css'
import App from './App.vue'
import { router } from './router.js'
import { i18n } from '../shared/i18n.js'
import './h5.css'

const app = createApp(App).use(i18n).use(router)
for (const c of [Button, Cell, CellGroup, Field, Form, NavBar, Picker, Popup, Rate, Tag, Uploader, Toast, Empty, Loading,
  Steps, Step, Tabbar, TabbarItem, Dialog, CountDown, ActionSheet, NoticeBar, Radio, RadioGroup, Checkbox, CheckboxGroup]) app.use(c)
app.mount('#app')
