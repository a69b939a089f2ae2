<?php
/*
Plugin Name: Akismet (example)
Version: 5.4
*/
