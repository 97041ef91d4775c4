// netlify/functions/scheduled-rebuild.mjs — rebuild the site every day.
//
// A static site does not change by itself, but your network does: an
// alliance ends, a product's season opens, a post dated for Monday comes
// due. `sitegen build` says when the next such change is; this function
// asks Netlify to rebuild once a day so the live site follows on the day.
//
// Set it up once (see the README, "Rebuild on the day"):
//   1. Netlify: Project configuration > Build & deploy > Build hooks >
//      Add build hook. Copy its URL.
//   2. Netlify: Project configuration > Environment variables > Add a
//      variable named SITEGEN_BUILD_HOOK whose value is that URL.
// Without the variable the function only logs that it has nothing to do.

export const config = { schedule: "@daily" };

function hookUrl() {
  const fromNetlify = globalThis.Netlify?.env?.get("SITEGEN_BUILD_HOOK");
  return (fromNetlify ?? process.env.SITEGEN_BUILD_HOOK ?? "").trim();
}

export default async function scheduledRebuild() {
  const hook = hookUrl();
  if (!hook) {
    console.log("scheduled-rebuild: SITEGEN_BUILD_HOOK is not set; nothing to do");
    return new Response("SITEGEN_BUILD_HOOK is not set", { status: 200 });
  }
  let url;
  try {
    url = new URL(hook);
  } catch {
    console.error("scheduled-rebuild: SITEGEN_BUILD_HOOK is not a URL; set it to the build hook's URL");
    return new Response("SITEGEN_BUILD_HOOK is not a URL", { status: 500 });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    console.error("scheduled-rebuild: SITEGEN_BUILD_HOOK must be an https:// URL");
    return new Response("SITEGEN_BUILD_HOOK must be an https:// URL", { status: 500 });
  }
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ trigger_title: "sitegen: daily rebuild" }),
      signal: AbortSignal.timeout(20000),
    });
    if (!response.ok) {
      console.error(`scheduled-rebuild: the build hook answered ${response.status}`);
      return new Response(`build hook answered ${response.status}`, { status: 502 });
    }
    console.log("scheduled-rebuild: asked Netlify for a rebuild");
    return new Response("rebuild requested", { status: 200 });
  } catch (error) {
    console.error(`scheduled-rebuild: could not reach the build hook: ${error.message}`);
    return new Response("build hook unreachable", { status: 502 });
  }
}
