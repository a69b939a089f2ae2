<?php
/**
 * Front to the WordPress application (example tree bundled with wp-init).
 */
define( 'WP_USE_THEMES', true );
require __DIR__ . '/wp-blog-header.php';
