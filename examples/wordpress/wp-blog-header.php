<?php
// Example tree: a real WordPress loads wp-load.php and the template loader here.
echo "Hello from the wp-init example tree\n";
