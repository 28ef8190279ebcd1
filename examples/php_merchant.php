<?php
/*
 * A PHP merchant's whole Hesabe integration against the mock, in plain PHP: openssl, json and
 * stream functions only (no Composer, no curl extension).
 *
 *   php examples/php_merchant.php http://127.0.0.1:8000
 *
 * Merchant API (invoices, refunds): log in, create an invoice whose customer name is Arabic,
 * read it back, find it on the dashboard by search.
 * Payment gateway:
 *   1. encrypt the order as Hesabe's PHP kit does and POST it to /checkout (multipart `data`)
 *   2. open the payment page the answer names and pay with the KNET test card, as a browser
 *      submits the page's form; the page redirects to responseUrl with ?data=<encrypted result>
 *   3. decrypt that result (openssl_decrypt), receive the webhook on a socket of our own
 *   4. confirm both by enquiry (they are unsigned), by token and by order reference
 *   5. ask for a refund (Merchant API); a second order is declined (the mock's control plane
 *      plays the customer) and must come back to failureUrl, FAILED by enquiry
 *
 * Each step prints a line; the last line is a JSON summary. Any mismatch exits 1.
 * The keys default to the public sandbox's; HESABE_* variables override them (as the Python
 * client reads them). HESABE_GATEWAY_URL names the gateway when it is not the same server.
 */

declare(strict_types=1);

/** Hesabe's cipher as the PHP kit applies it: AES-256-CBC, fixed IV, lower-case hex. */
final class HesabeCrypt
{
    /** The kit pads to 32-byte blocks itself and switches the cipher's own padding off. */
    private const BLOCK = 32;

    public function __construct(private readonly string $key, private readonly string $iv)
    {
    }

    public function encrypt(string $plaintext): string
    {
        $pad = self::BLOCK - strlen($plaintext) % self::BLOCK; // strlen counts bytes: right for UTF-8
        $padded = $plaintext . str_repeat(chr($pad), $pad);
        $cipher = openssl_encrypt($padded, 'AES-256-CBC', $this->key, OPENSSL_RAW_DATA | OPENSSL_ZERO_PADDING, $this->iv);
        if ($cipher === false) {
            throw new RuntimeException('openssl_encrypt failed: ' . openssl_error_string());
        }
        return bin2hex($cipher);
    }

    /** The kit's unpad: any n whose last n bytes all equal n (Hesabe replies pad to 32, kits to 16 or 32). */
    public function decrypt(string $hex): string
    {
        $hex = trim($hex);
        if ($hex === '' || strlen($hex) % 2 !== 0 || !ctype_xdigit($hex)) {
            throw new UnexpectedValueException('not Hesabe data: not hex');
        }
        $plain = openssl_decrypt((string) hex2bin($hex), 'AES-256-CBC', $this->key, OPENSSL_RAW_DATA | OPENSSL_ZERO_PADDING, $this->iv);
        if ($plain === false || $plain === '') {
            throw new UnexpectedValueException('not Hesabe data: not whole AES blocks');
        }
        $pad = ord($plain[-1]);
        if ($pad < 1 || $pad > strlen($plain) || substr($plain, -$pad) !== str_repeat(chr($pad), $pad)) {
            throw new UnexpectedValueException('not Hesabe data: the padding is garbage (wrong keys?)');
        }
        return substr($plain, 0, -$pad);
    }

    /** @return array<string, mixed> */
    public function decryptJson(string $hex): array
    {
        return json_decode($this->decrypt($hex), true, 512, JSON_THROW_ON_ERROR);
    }
}

/** One HTTP exchange with PHP's stream wrapper. Redirects are answers, 4xx/5xx bodies are read. */
function http(string $method, string $url, array $headers = [], ?string $body = null): array
{
    $options = [
        'method' => $method,
        'header' => implode("\r\n", array_merge($headers, ['Connection: close'])),
        'ignore_errors' => true,
        'follow_location' => 0,
        'protocol_version' => 1.1,
        'timeout' => 20,
    ];
    if ($body !== null) {
        $options['content'] = $body;
    }
    $text = @file_get_contents($url, false, stream_context_create(['http' => $options]));
    if ($text === false) {
        $why = preg_replace('{^.*?: }', '', error_get_last()['message'] ?? 'unknown error');
        throw new RuntimeException("$method $url: no answer ($why): is the mock running there? (make mock)");
    }
    $lines = function_exists('http_get_last_response_headers') ? http_get_last_response_headers() : $http_response_header;
    if (!preg_match('{^HTTP/\S+ (\d{3})}', $lines[0] ?? '', $status)) {
        throw new RuntimeException("$method $url: not an HTTP answer");
    }
    $received = [];
    foreach (array_slice($lines, 1) as $line) {
        [$name, $value] = array_pad(explode(':', $line, 2), 2, '');
        $received[strtolower(trim($name))] = trim($value);
    }
    return ['status' => (int) $status[1], 'headers' => $received, 'body' => $text];
}

/** Fail the run unless $ok, else print what was checked. */
function check(bool $ok, string $what, mixed $found = null): void
{
    if (!$ok) {
        throw new UnexpectedValueException($what . ($found === null ? '' : ': found ' . json_encode($found, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)));
    }
    echo "  ok  $what\n";
}

function step(string $title): void
{
    echo "$title\n";
}

function kwd(mixed $amount): string
{
    return number_format((float) $amount, 3, '.', '');
}

/**
 * The webhook receiver: a socket of this process. The mock connects as soon as a payment
 * succeeds; the connection waits in the listen queue until receive() accepts it.
 */
final class WebhookInbox
{
    /** @var resource */
    private $server;
    public readonly string $base;

    public function __construct()
    {
        $server = stream_socket_server('tcp://127.0.0.1:0', $errno, $error);
        if ($server === false) {
            throw new RuntimeException("cannot listen for the webhook: $error");
        }
        $this->server = $server;
        $this->base = 'http://' . stream_socket_get_name($server, false);
    }

    /** @return array{method: string, path: string, headers: array<string, string>, body: string} */
    public function receive(float $timeout): array
    {
        $connection = @stream_socket_accept($this->server, $timeout);
        if ($connection === false) {
            throw new UnexpectedValueException("no webhook within $timeout s");
        }
        stream_set_timeout($connection, 10);
        [$method, $path] = explode(' ', trim((string) fgets($connection)));
        $headers = [];
        while (($line = fgets($connection)) !== false && trim($line) !== '') {
            [$name, $value] = explode(':', $line, 2);
            $headers[strtolower(trim($name))] = trim($value);
        }
        $length = (int) ($headers['content-length'] ?? 0);
        $body = '';
        while (strlen($body) < $length && !feof($connection)) {
            $body .= fread($connection, $length - strlen($body));
        }
        fwrite($connection, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"received\":1}\n");
        fclose($connection);
        return ['method' => $method, 'path' => $path, 'headers' => $headers, 'body' => $body];
    }
}

/** The first form on a page that carries <input name=$field value=$value>: its action and fields. */
function find_form(string $html, string $field, string $value): array
{
    preg_match_all('{<form\b([^>]*)>(.*?)</form>}s', $html, $forms, PREG_SET_ORDER);
    foreach ($forms as [, $attributes, $inner]) {
        $fields = [];
        preg_match_all('{<input\b([^>]*)>}', $inner, $inputs);
        foreach ($inputs[1] as $input) {
            if (preg_match('{name="([^"]*)"}', $input, $name) && preg_match('{value="([^"]*)"}', $input, $given)) {
                $fields[html_entity_decode($name[1])] = html_entity_decode($given[1]);
            }
        }
        if (($fields[$field] ?? null) === $value && preg_match('{action="([^"]*)"}', $attributes, $action)) {
            return ['action' => html_entity_decode($action[1]), 'fields' => $fields];
        }
    }
    throw new UnexpectedValueException("the page has no form with $field=$value");
}

/** The hex of an encrypted answer: bare (the gateway, Hesabe's app) or {"response": hex} (the docs). */
function answer_hex(string $body): ?string
{
    $outer = json_decode($body, true);
    $hex = is_array($outer) ? ($outer['response'] ?? null) : trim($body);
    return is_string($hex) && $hex !== '' && ctype_xdigit($hex) ? $hex : null;
}

/** An encrypted answer, decrypted; what was asked when it does not decrypt. */
function decrypt_answer(HesabeCrypt $crypt, string $hex, string $asked): array
{
    try {
        return $crypt->decryptJson($hex);
    } catch (UnexpectedValueException | JsonException $error) {
        throw new UnexpectedValueException("$asked: the answer does not decrypt with these keys ({$error->getMessage()}): "
            . 'check HESABE_SECRET_KEY and HESABE_IV_KEY against the merchant the server knows');
    }
}

/** The `data` a redirect to $url carries, and the URL without it. */
function callback_data(string $location): array
{
    $query = (string) parse_url($location, PHP_URL_QUERY);
    parse_str($query, $params);
    $without = preg_replace('{[?&]data=[0-9a-fA-F]*}', '', $location);
    return [(string) ($params['data'] ?? ''), $without];
}

function main(array $argv): array
{
    $env = static fn (string $name, string $default): string => (getenv($name) ?: $default);
    $api = rtrim($argv[1] ?? $env('HESABE_MERCHANT_API_URL', 'http://127.0.0.1:8000'), '/');
    $gateway = rtrim($env('HESABE_GATEWAY_URL', $api), '/');
    foreach ([$api, $gateway] as $base) {
        if (!preg_match('{^https?://[^/]+$}', $base)) {
            throw new InvalidArgumentException("not a server's base URL: $base\n"
                . 'usage: php examples/php_merchant.php http://127.0.0.1:8000   (scheme, host and port; no path)');
        }
    }
    $merchantCode = $env('HESABE_MERCHANT_CODE', '842217');
    $accessCode = $env('HESABE_ACCESS_CODE', 'c333729b-d060-4b74-a49d-7686a8353481');
    $crypt = new HesabeCrypt($env('HESABE_SECRET_KEY', 'PkW64zMe5NVdrlPVNnjo2Jy9nOb7v1Xg'), $env('HESABE_IV_KEY', '5NVdrlPVNnjo2Jy9'));
    $run = date('His') . random_int(100, 999);
    $summary = ['merchant_api' => $api, 'gateway' => $gateway];

    step("Merchant API at $api");
    $login = http('POST', "$api/api/v1/login", ['Content-Type: application/json', 'Accept: application/json'], json_encode([
        'username' => $env('HESABE_MERCHANT_USERNAME', 'Test'), 'password' => $env('HESABE_MERCHANT_PASSWORD', 'Test@1234'),
    ]));
    $token = json_decode($login['body'], true)['response']['token'] ?? null;
    check($login['status'] === 200 && ($token['token_type'] ?? '') === 'Bearer', 'login: a Bearer token (plain JSON both ways)', $login['body']);
    $auth = ["Authorization: Bearer {$token['access_token']}", "accessCode: $accessCode", 'Accept: application/json'];

    // Every Merchant API call: the payload encrypted in `data`; the answer {"response": "<hex>"} (or bare hex).
    $call = static function (string $method, string $path, array $payload, array $query = []) use ($api, $auth, $crypt, $merchantCode): array {
        $data = $crypt->encrypt(json_encode(['merchantCode' => $merchantCode] + $payload, JSON_UNESCAPED_UNICODE));
        if ($method === 'GET') {
            $answer = http('GET', "$api$path?" . http_build_query(['data' => $data] + $query), $auth);
        } else {
            $answer = http($method, "$api$path", array_merge($auth, ['Content-Type: application/json']), json_encode(['data' => $data]));
        }
        $hex = answer_hex($answer['body']);
        if ($hex === null) {
            throw new UnexpectedValueException("$method $path: HTTP {$answer['status']} " . $answer['body']);
        }
        return ['http' => $answer['status']] + decrypt_answer($crypt, $hex, "$method $path: HTTP {$answer['status']}");
    };

    $reference = "PHP-INV-$run";
    $customer = 'فاطمة العلي';
    $created = $call('POST', '/api/v1/invoice', [
        'amount' => '12.500', 'customerName' => $customer, 'customerEmail' => 'fatima@example.com',
        'mobileNumber' => '66666666', 'countryCode' => '965', 'invoiceType' => '0', 'invoiceSubType' => '3',
        'allocatePayType' => '1,2', 'referenceNumber' => $reference, 'description' => 'Order from the PHP shop',
        'expiresAt' => '2099-12-31', 'language' => 'ar',
    ]);
    $invoice = $created['response'] ?? [];
    check($created['http'] === 200 && $created['status'] === true && ($created['response']['reference_number'] ?? null) === $reference,
        "create_invoice: invoice {$invoice['id']} ({$invoice['url']})", $created);
    check(($invoice['customer']['name'] ?? null) === $customer, 'the Arabic customer name came back byte for byte (pad counted in bytes)', $invoice['customer'] ?? null);

    $read = $call('GET', "/api/v1/invoice/{$invoice['id']}", []);
    check(($read['response']['token'] ?? null) === $invoice['token'] && ($read['response']['amount'] ?? null) === '12.500'
        && ($read['response']['invoice_status'] ?? null) === 0, 'get_invoice: the same invoice, 12.500, unpaid', $read['response'] ?? $read);

    $listed = $call('GET', '/api/v1/invoice-dashboard', [], ['search' => $reference]);
    $ids = array_column($listed['response']['invoices']['data'] ?? [], 'id');
    check($ids === [$invoice['id']], "list_invoices: search=$reference finds exactly it", $ids);
    $summary['invoice'] = ['id' => $invoice['id'], 'reference' => $reference, 'customer' => $read['response']['customer']['name'] ?? null,
        'listed_total' => $listed['response']['invoices']['pagination']['total'] ?? null];

    step("Payment gateway at $gateway");
    $inbox = new WebhookInbox();
    $order = "PHP-$run";
    $checkout = static function (string $order, string $amount) use ($gateway, $accessCode, $crypt, $merchantCode, $inbox): array {
        $payload = [
            'merchantCode' => $merchantCode, 'amount' => $amount, 'currency' => 'KWD', 'paymentType' => '0', 'version' => '2.0',
            'orderReferenceNumber' => $order, 'variable1' => 'cart__9',
            'responseUrl' => "{$inbox->base}/hesabe/return?cart=9", 'failureUrl' => "{$inbox->base}/hesabe/failed",
            'webhookUrl' => "{$inbox->base}/hesabe/webhook", 'name' => 'Fatima', 'email' => 'fatima@example.com',
            'mobile_number' => '66666666',
        ];
        // As the kit posts it: a multipart form field `data`; json_encode's defaults (\/, \uXXXX).
        $boundary = 'hesabe' . bin2hex(random_bytes(12));
        $body = "--$boundary\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n" . $crypt->encrypt(json_encode($payload))
            . "\r\n--$boundary--\r\n";
        $answer = http('POST', "$gateway/checkout", ["accessCode: $accessCode", 'Accept: application/json',
            "Content-Type: multipart/form-data; boundary=$boundary"], $body);
        $hex = answer_hex($answer['body']);
        if ($answer['status'] !== 200 || $hex === null) {
            throw new UnexpectedValueException("checkout refused: HTTP {$answer['status']} {$answer['body']}");
        }
        return decrypt_answer($crypt, $hex, 'POST /checkout');
    };
    $enquire = static function (string $id, bool $byReference = false) use ($gateway, $accessCode): array {
        $url = "$gateway/api/transaction/" . rawurlencode($id) . ($byReference ? '?isOrderReference=1' : '');
        $answer = http('GET', $url, ["accessCode: $accessCode", 'Accept: application/json']);
        return ['http' => $answer['status']] + (json_decode($answer['body'], true) ?? []); // plain JSON
    };

    $session = $checkout($order, '7.500');
    check(($session['status'] ?? null) === true && ($session['code'] ?? null) === 200 && is_string($session['response']['data'] ?? null),
        "checkout: token {$session['token']}", $session);
    $paymentUrl = "$gateway/payment?data=" . urlencode($session['response']['data']);

    $page = http('GET', $paymentUrl);
    check($page['status'] === 200 && str_contains($page['body'], '7.500') && str_contains($page['body'], $order),
        'the payment page shows 7.500 KWD and the order reference', $page['status']);
    $form = find_form($page['body'], 'payment_type', '1');
    $action = str_starts_with($form['action'], '/') ? $gateway . $form['action'] : $form['action'];
    $paid = http('POST', $action, ['Content-Type: application/x-www-form-urlencoded'], http_build_query($form['fields'] + ['action' => 'pay']));
    check($paid['status'] === 302 && isset($paid['headers']['location']), 'paid with the KNET test card on the page: a redirect', $paid['status']);

    // Our responseUrl handler: $_GET['data'], decrypted. Unsigned, so only a hint until the enquiry.
    [$data, $returnedTo] = callback_data($paid['headers']['location']);
    check($returnedTo === "{$inbox->base}/hesabe/return?cart=9", 'the browser comes back to responseUrl, its query kept', $returnedTo);
    $callback = $crypt->decryptJson($data);
    $result = is_array($callback['response']['data'] ?? null) ? $callback['response']['data'] : $callback['response']; // both nestings exist
    check($callback['status'] === true && $result['resultCode'] === 'CAPTURED' && $result['paymentToken'] === $session['token']
        && kwd($result['amount']) === '7.500' && $result['orderReferenceNumber'] === $order && $result['variable1'] === 'cart__9',
        'callback: CAPTURED, this token, 7.500, this order, variable1 echoed', $result);

    $hook = $inbox->receive(15.0);
    $event = json_decode($hook['body'], true);
    check($hook['method'] === 'POST' && $hook['path'] === '/hesabe/webhook' && is_array($event), 'webhook: a POST of plain JSON to webhookUrl', $hook);
    check($event['token'] === $session['token'] && $event['amount'] === '7.500' && $event['reference_number'] === $order
        && $event['status'] === 'SUCCESSFUL', 'webhook: SUCCESSFUL, this token, 7.500, this order', $event);

    $byToken = $enquire($session['token']);
    check($byToken['http'] === 200 && ($byToken['data']['status'] ?? null) === 'SUCCESSFUL' && $byToken['data']['amount'] === '7.500'
        && $byToken['data']['reference_number'] === $order, 'enquiry by token: SUCCESSFUL 7.500: ship the order', $byToken);
    $byOrder = $enquire($order, true);
    check(($byOrder['data']['token'] ?? null) === $session['token'] && count($byOrder['results'] ?? []) === 1,
        'enquiry by order reference: the same transaction, one attempt', $byOrder);

    $refund = $call('POST', '/api/v1/refund', ['refundAmount' => '7.500', 'refundMethod' => '1', 'token' => $session['token']]);
    $requested = $refund['response'] ?? $refund['data'] ?? []; // the guide prints it under data
    check($refund['http'] === 200 && $refund['status'] === true && ($requested['refund_status'] ?? null) === 'PENDING' && ($requested['amount'] ?? null) === '7.500',
        'refund: 7.500 asked for, PENDING until Hesabe approves', $refund);

    // A second order the bank declines (the mock's control plane plays the customer).
    $declinedOrder = "PHP-$run-2";
    $second = $checkout($declinedOrder, '3.250');
    $decided = http('POST', "$gateway/_mock/checkouts/{$second['token']}/pay", ['Content-Type: application/json'],
        json_encode(['outcome' => 'failure']));
    [$data, $returnedTo] = callback_data(json_decode($decided['body'], true)['callback_url'] ?? '');
    $failure = $crypt->decryptJson($data);
    $failed = is_array($failure['response']['data'] ?? null) ? $failure['response']['data'] : $failure['response'];
    check($returnedTo === "{$inbox->base}/hesabe/failed" && $failure['status'] === false && $failed['resultCode'] === 'NOT CAPTURED',
        'declined: back to failureUrl, status false, NOT CAPTURED', $failure);
    $declinedEnquiry = $enquire($declinedOrder, true);
    check(($declinedEnquiry['data']['status'] ?? null) === 'FAILED', 'enquiry of the declined order: FAILED: do not ship', $declinedEnquiry);

    $summary['checkout'] = [
        'token' => $session['token'], 'order' => $order, 'payment_url' => $paymentUrl, 'callback_status' => $callback['status'],
        'result_code' => $result['resultCode'], 'webhook_status' => $event['status'], 'enquiry_status' => $byToken['data']['status'],
        'enquiry_amount' => $byToken['data']['amount'], 'refund_id' => $requested['id'] ?? null, 'refund_status' => $requested['refund_status'],
    ];
    $summary['declined'] = ['token' => $second['token'], 'order' => $declinedOrder, 'result_code' => $failed['resultCode'],
        'enquiry_status' => $declinedEnquiry['data']['status']];
    return $summary;
}

try {
    $summary = main($argv);
    echo json_encode($summary, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
} catch (Throwable $error) {
    fwrite(STDERR, 'FAILED: ' . $error->getMessage() . "\n");
    exit(1);
}
