/**
 * The demo host page: a small fictional shop that embeds OneTalk's chat widget (the emulator's
 * stand-in) as a customer page would. Static markup only; the script `/demo/app.js` loads the
 * widget, connects it to the gateway's sign-in and fills in who is signed in, always through
 * `textContent`, so no profile value is ever parsed as HTML. No inline script or style: the page
 * runs under a CSP without 'unsafe-inline'.
 */

const PRODUCTS = [
  { name: 'First Flush Darjeeling', note: 'Bright, floral, 50 g tin', price: '€14.50', swatch: 'amber' },
  { name: 'Gyokuro Asahi', note: 'Shaded green, umami, 40 g', price: '€22.00', swatch: 'jade' },
  { name: 'Yunnan Gold', note: 'Malty black, honey finish, 75 g', price: '€11.90', swatch: 'copper' },
  { name: 'Cast-iron kettle', note: '0.8 l, enamelled inside', price: '€64.00', swatch: 'iron' },
] as const;

function productCard(p: (typeof PRODUCTS)[number]): string {
  return `<article class="product">
      <div class="swatch swatch-${p.swatch}" aria-hidden="true"></div>
      <h3>${p.name}</h3><p>${p.note}</p>
      <div class="buy"><span class="price">${p.price}</span><button type="button" class="button small">Add to cart</button></div>
    </article>`;
}

/** The page at `/` in demo mode. */
export function renderDemoPage(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kettle &amp; Leaf: teas and brewing gear</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo/style.css">
<script type="module" src="/demo/app.js"></script>
</head>
<body data-state="loading">
<header class="site">
  <a class="brand" href="/"><span class="logo" aria-hidden="true"></span>Kettle &amp; Leaf</a>
  <nav aria-label="Main"><a href="#shop">Shop</a><a href="#shop">Gift sets</a><a href="#chat">Help</a></nav>
  <div class="account">
    <a id="sign-in" class="button" href="/auth/login?returnTo=/" hidden>Sign in</a>
    <span id="user" class="user" hidden><span id="avatar" class="avatar" aria-hidden="true"></span><span id="user-name" class="user-name"></span></span>
    <form id="sign-out" method="post" action="/auth/logout" hidden><button type="submit" class="button ghost">Sign out</button></form>
  </div>
</header>
<main>
  <section class="hero">
    <h1>Single-estate teas, shipped fresh.</h1>
    <p>Questions about a blend or your order? Our tea people answer in the chat, and they know who you are once you sign in.</p>
  </section>
  <section id="shop" class="products" aria-label="Products">
    ${PRODUCTS.map(productCard).join('\n    ')}
  </section>
</main>
<aside id="chat" class="chat" aria-labelledby="chat-title">
  <header><h2 id="chat-title">Live chat</h2><span id="chat-status" class="pill">Connecting…</span></header>
  <div class="chat-body">
    <p id="chat-summary" class="bubble">Hi! Sign in to chat as yourself, so we can see your orders.</p>
    <p class="hint">The chat opens with the round button at the bottom right: OneTalk's widget, played here by the emulator's stand-in.</p>
    <p id="chat-error" class="error" role="alert" hidden></p>
  </div>
</aside>
<footer class="site">Kettle &amp; Leaf is a demo shop of the OneTalk gateway: development sign-in, emulated OneTalk.</footer>
</body>
</html>
`;
}
