<?php
/*
Plugin Name: Hello Dolly (example)
*/
