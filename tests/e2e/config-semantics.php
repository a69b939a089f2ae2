<?php
/**
 * config-semantics.php DIR [--forwarded-proto=VALUE] [--load-twice]
 *
 * Loads DIR/wp-config.php the way WordPress would, but with DIR/wp-settings.php being a
 * stub that does nothing (the caller puts a generated wp-config.php and the stub into a
 * scratch DIR), and prints what the config defined as one JSON object on stdout:
 * the DB_* constants, the eight keys and salts, WP_DEBUG, ABSPATH, $table_prefix,
 * $_SERVER['HTTPS'] (null when unset) and E2E_EXTRA (a constant the tests define through
 * WORDPRESS_CONFIG_EXTRA; null when undefined).
 *
 * The environment is the caller's: config-semantics.sh runs this under `env -i` with the
 * WORDPRESS_* variables of each case. --forwarded-proto sets the request header
 * X-Forwarded-Proto (as $_SERVER['HTTP_X_FORWARDED_PROTO']); --load-twice loads the file a
 * second time, as WP-CLI does, which must not redeclare getenv_docker().
 * Warnings and notices go to stderr (run PHP with -d display_errors=stderr).
 */

error_reporting( E_ALL );

if ( $argc < 2 || ! is_file( $argv[1] . '/wp-config.php' ) ) {
	fwrite( STDERR, "usage: php config-semantics.php DIR [--forwarded-proto=VALUE] [--load-twice]\n" );
	exit( 2 );
}
$e2e_dir        = rtrim( $argv[1], '/' );
$e2e_load_twice = false;
foreach ( array_slice( $argv, 2 ) as $e2e_arg ) {
	if ( 0 === strpos( $e2e_arg, '--forwarded-proto=' ) ) {
		$_SERVER['HTTP_X_FORWARDED_PROTO'] = substr( $e2e_arg, strlen( '--forwarded-proto=' ) );
	} elseif ( '--load-twice' === $e2e_arg ) {
		$e2e_load_twice = true;
	} else {
		fwrite( STDERR, "config-semantics.php: unknown option $e2e_arg\n" );
		exit( 2 );
	}
}
unset( $_SERVER['HTTPS'] );

// The file runs at top level in WordPress (wp-load.php requires it), so $table_prefix is a
// global; require it from global scope too.
require $e2e_dir . '/wp-config.php';
if ( $e2e_load_twice ) {
	// Constants are already defined: PHP warns about each, which is expected here.
	$e2e_level = error_reporting( E_ALL & ~E_WARNING );
	require $e2e_dir . '/wp-config.php';
	error_reporting( $e2e_level );
}

$e2e_names = array(
	'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DB_HOST', 'DB_CHARSET', 'DB_COLLATE',
	'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY',
	'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT',
	'WP_DEBUG', 'ABSPATH', 'E2E_EXTRA',
);
$e2e_out = array();
foreach ( $e2e_names as $e2e_name ) {
	$e2e_out[ $e2e_name ] = defined( $e2e_name ) ? constant( $e2e_name ) : null;
}
$e2e_out['table_prefix'] = isset( $table_prefix ) ? $table_prefix : null;
$e2e_out['HTTPS']        = isset( $_SERVER['HTTPS'] ) ? $_SERVER['HTTPS'] : null;
$e2e_out['getenv_docker_defined'] = function_exists( 'getenv_docker' );

echo json_encode( $e2e_out, JSON_UNESCAPED_SLASHES | JSON_PRETTY_PRINT ), "\n";
