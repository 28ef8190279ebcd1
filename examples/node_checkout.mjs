// A Node merchant's whole checkout against the Hesabe mock, with nothing but Node's own modules.
//
//   node examples/node_checkout.mjs http://127.0.0.1:8000
//   HESABE_GATEWAY_URL=http://127.0.0.1:8000 node examples/node_checkout.mjs   (the same)
//
// 1. encrypt the order and POST it to /checkout (accessCode header, data as a form field)
// 2. (the customer pays on the page; here the mock's control plane plays the customer)
// 3. decrypt the data of the redirect back to responseUrl
// 4. confirm it with the transaction enquiry (plain JSON, accessCode header)
// The keys are the public sandbox's; use your merchant's with the real gateway.
import crypto from "node:crypto";

const GATEWAY = (process.argv[2] ?? process.env.HESABE_GATEWAY_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
const MERCHANT_CODE = process.env.HESABE_MERCHANT_CODE ?? "842217";
const ACCESS_CODE = process.env.HESABE_ACCESS_CODE ?? "c333729b-d060-4b74-a49d-7686a8353481";
const KEY = Buffer.from(process.env.HESABE_SECRET_KEY ?? "PkW64zMe5NVdrlPVNnjo2Jy9nOb7v1Xg", "utf8");
const IV = Buffer.from(process.env.HESABE_IV_KEY ?? "5NVdrlPVNnjo2Jy9", "utf8");

// AES-256-CBC with the fixed IV; Node's PKCS#7 padding (16-byte blocks) is accepted.
function encrypt(value) {
  const cipher = crypto.createCipheriv("aes-256-cbc", KEY, IV);
  return cipher.update(JSON.stringify(value), "utf8", "hex") + cipher.final("hex");
}

// Hesabe pads its answers to 32-byte blocks, which PKCS#7 with 16-byte blocks calls invalid:
// decrypt without padding, then drop as many bytes as the last one says.
function decrypt(hex) {
  const decipher = crypto.createDecipheriv("aes-256-cbc", KEY, IV);
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(hex.trim(), "hex"), decipher.final()]);
  const pad = plain[plain.length - 1];
  if (pad < 1 || pad > 32) throw new Error("not Hesabe data (wrong keys?)");
  return JSON.parse(plain.subarray(0, plain.length - pad).toString("utf8"));
}

async function main() {
  const order = {
    merchantCode: MERCHANT_CODE, amount: "7.500", currency: "KWD", paymentType: "0", version: "2.0",
    orderReferenceNumber: "NODE-1", responseUrl: "http://127.0.0.1:3000/hesabe/return?cart=9",
    failureUrl: "http://127.0.0.1:3000/hesabe/failed",
  };
  const created = await fetch(`${GATEWAY}/checkout`, {
    method: "POST", headers: { accessCode: ACCESS_CODE, Accept: "application/json" },
    body: new URLSearchParams({ data: encrypt(order) }),
  });
  const answer = decrypt(await created.text()); // the answer is bare hex
  if (answer.status !== true) throw new Error(`checkout refused: ${JSON.stringify(answer)}`);
  const paymentUrl = `${GATEWAY}/payment?data=${encodeURIComponent(answer.response.data)}`;

  // The customer pays (the mock's control plane answers the redirect the browser would follow).
  const paid = await fetch(`${GATEWAY}/_mock/checkouts/${answer.token}/pay`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ outcome: "success" }),
  }).then((r) => r.json());

  // Your responseUrl handler: the data the redirect carries, decrypted.
  const callback = decrypt(new URL(paid.callback_url).searchParams.get("data"));
  const result = callback.response.data ?? callback.response; // both nestings exist

  // The callback is unsigned: confirm it before shipping anything.
  const enquiry = await fetch(`${GATEWAY}/api/transaction/${result.paymentToken}`, {
    headers: { accessCode: ACCESS_CODE, Accept: "application/json" },
  }).then((r) => r.json());

  console.log(JSON.stringify({
    token: answer.token, payment_url: paymentUrl, callback_status: callback.status,
    result_code: result.resultCode, enquiry_status: enquiry.data.status, enquiry_amount: enquiry.data.amount,
    redirect: paid.callback_url.split("&data=")[0],
  }));
}

main().catch((error) => { console.error(error); process.exit(1); });
