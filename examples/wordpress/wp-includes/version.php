<?php
/**
 * The WordPress version string (example tree bundled with wp-init).
 *
 * @global string $wp_version
 */
$wp_version = '6.8.3';
