<?php
// json-flat.php FILE — FILE must hold exactly one JSON object (what `wp-init ... --json`
// prints on stdout); prints it as tab-separated lines that shell scripts can grep:
//
//   KEY <TAB> TYPE <TAB> VALUE      a scalar (TYPE: string, int, float, bool, null)
//   KEY <TAB> list <TAB> COUNT      a list, followed by one line per element:
//   KEY[] <TAB> TYPE <TAB> VALUE    (an object element: TYPE "object", VALUE its JSON;
//                                     KEY[].path <TAB> string <TAB> P when it has a "path")
//   KEY <TAB> object <TAB> COUNT    an object, followed by its members as KEY.MEMBER lines
//
// Exits 1 (with the reason on stderr) when FILE is not one JSON object.

function kind($v): string
{
    return match (true) {
        is_string($v) => 'string',
        is_int($v) => 'int',
        is_float($v) => 'float',
        is_bool($v) => 'bool',
        $v === null => 'null',
        is_array($v) && array_is_list($v) => 'list',
        default => 'object',
    };
}

function scalar($v): string
{
    return match (true) {
        is_bool($v) => $v ? 'true' : 'false',
        $v === null => 'null',
        default => (string) $v,
    };
}

function flat(string $key, $v): void
{
    $k = kind($v);
    if ($k === 'list') {
        echo "$key\tlist\t", count($v), "\n";
        foreach ($v as $e) {
            $ek = kind($e);
            if ($ek === 'list' || $ek === 'object') {
                echo "{$key}[]\t$ek\t", json_encode($e, JSON_UNESCAPED_SLASHES), "\n";
                if ($ek === 'object' && isset($e['path']) && is_string($e['path'])) {
                    echo "{$key}[].path\tstring\t{$e['path']}\n";
                }
            } else {
                echo "{$key}[]\t$ek\t", scalar($e), "\n";
            }
        }
    } elseif ($k === 'object') {
        echo "$key\tobject\t", count($v), "\n";
        foreach ($v as $mk => $mv) {
            flat("$key.$mk", $mv);
        }
    } else {
        echo "$key\t$k\t", scalar($v), "\n";
    }
}

$text = @file_get_contents($argv[1] ?? '');
if ($text === false) {
    fwrite(STDERR, "json-flat: cannot read '" . ($argv[1] ?? '') . "'\n");
    exit(1);
}
try {
    $doc = json_decode($text, true, 64, JSON_THROW_ON_ERROR);
} catch (JsonException $e) {
    fwrite(STDERR, "json-flat: not one JSON document: {$e->getMessage()}\n");
    exit(1);
}
if (!is_array($doc) || (array_is_list($doc) && $doc !== [])) {
    fwrite(STDERR, "json-flat: the document is not a JSON object\n");
    exit(1);
}
foreach ($doc as $k => $v) {
    flat((string) $k, $v);
}
