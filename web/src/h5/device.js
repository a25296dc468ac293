// A random id of this phone, sent with the resident's reports so that limits count a phone, not
// a whole tea house behind one address (X-Device-Id). Nothing personal.
export function deviceId() {
  let id = localStorage.getItem('linli.device')
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(12))
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
    localStorage.setItem('linli.device', id)
  }
  return id
}

// Where the phone is, or null (refused, unavailable, or slower than `ms`).
export function locate(ms = 8000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null)
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: ms, maximumAge: 60000 },
    )
  })
}
